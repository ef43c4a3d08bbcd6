"""The encoders and the sentiment model a process uses, built once from settings and reused."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from interestgraph.settings import Settings
from textenc.cache import CachedEncoder, VectorCache
from textenc.encoders import HFEncoder, text_model_dir
from textenc.sentiment import SentimentModel, default_sentiment_dir


def cache_path(settings: Settings) -> Path:
    """The SQLite file of the text-vector cache, under ``$INTERESTGRAPH_HOME/cache``."""
    return settings.home / "cache" / "text-vectors.sqlite"


@cache
def _encoder(model_dir: Path, device: str, cache_file: Path) -> CachedEncoder:
    return CachedEncoder(HFEncoder(model_dir, device=device), VectorCache(cache_file))


@cache
def _sentiment(model_dir: Path, device: str) -> SentimentModel:
    return SentimentModel(model_dir, device=device)


def text_encoder(settings: Settings) -> CachedEncoder:
    """Titles and queries: ``INTERESTGRAPH_TEXT_MODEL`` or bge-small-zh-v1.5 (converted on first use), behind
    the vector cache."""
    return _encoder(text_model_dir(settings), settings.device, cache_path(settings))


def sentiment_model(settings: Settings) -> SentimentModel:
    """Reviews: ``INTERESTGRAPH_SENTIMENT_MODEL`` or the model ``interestgraph nlp train`` built."""
    return _sentiment(default_sentiment_dir(settings), settings.device)
