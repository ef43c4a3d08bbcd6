"""Which torch device a process computes on, from the ``INTERESTGRAPH_DEVICE`` choice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from interestgraph.errors import ConfigError

if TYPE_CHECKING:
    import torch


def pick_device(choice: str) -> torch.device:
    """``auto`` → CUDA when available, else CPU; ``cuda`` without a GPU is an error."""
    import torch  # here, so that importing this module (ingest does) does not load torch

    if choice == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if choice == "cuda":
        raise ConfigError("INTERESTGRAPH_DEVICE=cuda but torch sees no CUDA device")
    return torch.device("cpu")
