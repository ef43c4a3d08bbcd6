"""The model registry: versioned model cards and weights under ``$INTERESTGRAPH_HOME/models``.

A card names the architecture, its sizes, the seed, where its weights are and how it
was made. ``active.json`` names the version workers use; without one, workers use the
seeded, untrained GIN, so a fresh install embeds deterministically before any training.
Every written vector carries ``embedding_model = card.tag``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from gnn.features import EDGE_DIM, NODE_DIM
from gnn.models import ENCODERS, InterestEncoder
from interestgraph.errors import ConfigError
from interestgraph.settings import Settings


@dataclass(frozen=True)
class ModelCard:
    arch: str
    version: str
    out_channels: int
    hidden_channels: int = 64
    num_layers: int = 2
    seed: int = 0
    in_channels: int = NODE_DIM
    edge_dim: int = EDGE_DIM
    weights: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def tag(self) -> str:
        return f"{self.arch}:{self.version}"


def untrained(settings: Settings, arch: str = "gin", seed: int = 0) -> ModelCard:
    """The seeded, untrained card used before any model is trained."""
    return ModelCard(arch=arch, version=f"init-s{seed}", out_channels=settings.embedding_dim, seed=seed,
                     meta={"trained": False})


def build(card: ModelCard) -> InterestEncoder:
    """Instantiate ``card`` in eval mode: seeded init, then its weights if it has any."""
    if card.arch not in ENCODERS:
        raise ConfigError(f"unknown model architecture {card.arch!r}; expected one of {sorted(ENCODERS)}")
    if card.in_channels != NODE_DIM or card.edge_dim != EDGE_DIM:
        raise ConfigError(f"model {card.tag} expects {card.in_channels} node / {card.edge_dim} edge "
                          f"features, this code produces {NODE_DIM} / {EDGE_DIM}; retrain it")
    gen_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(card.seed)
        model = ENCODERS[card.arch](card.in_channels, card.hidden_channels, card.out_channels,
                                    card.num_layers, card.edge_dim)
    finally:
        torch.random.set_rng_state(gen_state)
    if card.weights is not None:
        state = torch.load(card.weights, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    return model.eval()


def _root(settings: Settings) -> Path:
    return settings.home / "models"


def active_card(settings: Settings) -> ModelCard:
    """The card workers should use now."""
    pointer = _root(settings) / "active.json"
    if not pointer.exists():
        return untrained(settings)
    data = json.loads(pointer.read_text())
    card = ModelCard(**data)
    if card.out_channels != settings.embedding_dim:
        raise ConfigError(f"active model {card.tag} makes {card.out_channels}-d vectors, "
                          f"the vector indexes are {settings.embedding_dim}-d")
    return card


def register(settings: Settings, card: ModelCard, model: InterestEncoder, activate: bool = True) -> ModelCard:
    """Save ``model`` as ``card`` and, by default, make it the active version."""
    root = _root(settings)
    root.mkdir(parents=True, exist_ok=True)
    weights = root / f"{card.arch}-{card.version}.pt"
    torch.save(model.state_dict(), weights)
    saved = ModelCard(**{**asdict(card), "weights": str(weights)})
    (root / f"{card.arch}-{card.version}.json").write_text(json.dumps(asdict(saved), indent=2))
    if activate:
        tmp = root / "active.json.tmp"
        tmp.write_text(json.dumps(asdict(saved), indent=2))
        tmp.replace(root / "active.json")
    return saved
