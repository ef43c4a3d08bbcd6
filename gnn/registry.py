"""The model registry: versioned model cards, weights and vocabularies under
``$INTERESTGRAPH_HOME/models``.

A card names the architecture, its sizes, the text model its content vectors come from,
the seed, and where its weights and vocabulary (item and category ids) are. ``active.json``
names the version workers use; without one, workers use a seeded, untrained GIN with an
empty vocabulary (every item from content alone), so a fresh install embeds
deterministically before any training. Every written vector carries
``embedding_model = card.tag``.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from gnn.models import MODELS, InterestModel
from gnn.scoring import FusionHead
from interestgraph.errors import ConfigError
from interestgraph.settings import Settings

# Stored vectors carry two columns more than the model's: the item bias and the norm pad.
STORED_EXTRA = 2
# A model tag, ARCH:VERSION: a known architecture and a version without path characters.
TAG_PATTERN = re.compile("(?:" + "|".join(map(re.escape, sorted(MODELS))) + r"):[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class ModelCard:
    """A registered model: its architecture, version, sizes and where its weights are."""

    arch: str
    version: str
    dim: int
    num_layers: int = 1
    k: int = 50
    n_items: int = 0
    n_categories: int = 0
    text_dim: int = 0
    text_model: str | None = None
    seed: int = 0
    # Every stored item vector is padded to this norm, so cosine search ranks by z·h + b.
    item_norm: float = 10.0
    dropout: float = 0.2
    # Interest model v3: item vectors carry live state (older cards: False, and they load as v2).
    live: bool = False
    # Items' live vectors read their newest buyers (gnn.readout; older cards: False).
    readout: bool = False
    # What recommend ranks by: "fused" (the model's score and the live co-behaviour signals, through
    # the fusion head), "model" (the model's score alone), or a counting baseline's name
    # (gnn.scoring.BASELINES) when the gate found the model no better than counting.
    ranking: str = "model"
    weights: str | None = None
    fusion: str | None = None
    vocab: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def tag(self) -> str:
        """``arch:version``, the tag written on every vector the model computes."""
        return f"{self.arch}:{self.version}"


@dataclass(frozen=True)
class Vocabulary:
    """The ids a trained model has vectors for; anything else is embedded from content."""

    items: list[str]
    categories: list[str]

    def to_json(self) -> str:
        """The vocabulary as JSON (non-ASCII ids kept as they are)."""
        return json.dumps({"items": self.items, "categories": self.categories}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Vocabulary:
        """The vocabulary written by :meth:`to_json`."""
        data = json.loads(text)
        return cls(list(data["items"]), list(data["categories"]))


def untrained(settings: Settings, arch: str = "gin", seed: int = 0) -> ModelCard:
    """The seeded, untrained card used before any model is trained."""
    return ModelCard(arch=arch, version=f"init-s{seed}", dim=settings.embedding_dim - STORED_EXTRA, seed=seed,
                     meta={"trained": False})


def instantiate(card: ModelCard) -> InterestModel:
    """A seeded model of ``card``'s shape (weights not loaded), in eval mode."""
    if card.arch not in MODELS:
        raise ConfigError(f"unknown model architecture {card.arch!r}; expected one of {sorted(MODELS)}")
    gen_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(card.seed)
        model = MODELS[card.arch](card.n_items, card.n_categories, card.text_dim, dim=card.dim,
                                  num_layers=card.num_layers, k=card.k, dropout=card.dropout, live=card.live,
                                  readout=card.readout)
    finally:
        torch.random.set_rng_state(gen_state)
    return model.eval()


def load(card: ModelCard) -> tuple[InterestModel, Vocabulary]:
    """``card``'s model with its weights, and its vocabulary."""
    model = instantiate(card)
    if card.weights is not None:
        try:
            state = torch.load(card.weights, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise ConfigError(f"model {card.tag}: weights file {card.weights} is missing") from None
        model.load_state_dict(state)
    vocab = Vocabulary([], [])
    if card.vocab is not None:
        vocab = Vocabulary.from_json(Path(card.vocab).read_text(encoding="utf-8"))
    if len(vocab.items) != card.n_items or len(vocab.categories) != card.n_categories:
        raise ConfigError(f"model {card.tag}: its vocabulary has {len(vocab.items)} items and "
                          f"{len(vocab.categories)} categories, the card says {card.n_items} and {card.n_categories}")
    return model.eval(), vocab


def _root(settings: Settings) -> Path:
    return settings.home / "models"


def active_card(settings: Settings) -> ModelCard:
    """The card workers should use now."""
    pointer = _root(settings) / "active.json"
    if not pointer.exists():
        return untrained(settings)
    card = ModelCard(**json.loads(pointer.read_text()))
    if card.dim + STORED_EXTRA != settings.embedding_dim:
        raise ConfigError(f"active model {card.tag} makes {card.dim + STORED_EXTRA}-d stored vectors, "
                          f"the vector indexes are {settings.embedding_dim}-d")
    return card


def registered(settings: Settings, tag: str) -> ModelCard:
    """A registered version by its tag (``gin:v20261128-101500``), active or not.

    A tag comes from callers (a task's argument): it must match ``TAG_PATTERN`` and name a card
    inside the models folder, so it can never turn into a path elsewhere (``../../tmp/x:v1``).
    """
    if not TAG_PATTERN.fullmatch(tag):
        raise ConfigError(f"a model tag is ARCH:VERSION with ARCH one of {sorted(MODELS)} and VERSION of "
                          f"letters, digits, '.', '_' or '-', e.g. gin:v20261128-101500; got {tag[:80]!r}")
    arch, _, version = tag.partition(":")
    root = _root(settings).resolve()
    path = (root / f"{arch}-{version}.json").resolve()
    if path.parent != root or not path.is_file():
        known = sorted(p.stem.replace("-", ":", 1) for p in _root(settings).glob("*.json") if p.stem != "active"
                       and not p.stem.endswith(".vocab"))
        raise ConfigError(f"no registered model {tag!r}; expected one of: {', '.join(known) or '(none trained yet)'}")
    return ModelCard(**json.loads(path.read_text()))


def load_fusion(card: ModelCard) -> FusionHead | None:
    """``card``'s fusion head, or None when it has none."""
    if card.fusion is None:
        return None
    head = FusionHead()
    try:
        head.load_state_dict(torch.load(card.fusion, map_location="cpu", weights_only=True))
    except FileNotFoundError:
        raise ConfigError(f"model {card.tag}: fusion head {card.fusion} is missing") from None
    return head.eval()


def register(settings: Settings, card: ModelCard, model: InterestModel, vocab: Vocabulary,
             activate: bool = True, head: FusionHead | None = None) -> ModelCard:
    """Save ``model``, ``vocab`` (and the fusion ``head``) as ``card`` and, by default, make it the active version."""
    root = _root(settings)
    root.mkdir(parents=True, exist_ok=True)
    stem = root / f"{card.arch}-{card.version}"
    weights, vocab_path = stem.with_suffix(".pt"), stem.with_suffix(".vocab.json")
    torch.save(model.state_dict(), weights)
    vocab_path.write_text(vocab.to_json(), encoding="utf-8")
    fusion = None
    if head is not None:
        fusion = str(stem.with_suffix(".fusion.pt"))
        torch.save(head.state_dict(), fusion)
    saved = ModelCard(**{**asdict(card), "weights": str(weights), "vocab": str(vocab_path), "fusion": fusion})
    stem.with_suffix(".json").write_text(json.dumps(asdict(saved), indent=2))
    if activate:
        tmp = root / "active.json.tmp"
        tmp.write_text(json.dumps(asdict(saved), indent=2))
        tmp.replace(root / "active.json")
    return saved
