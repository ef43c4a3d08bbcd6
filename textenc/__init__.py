"""Text understanding shared by ``ingest/`` and ``gnn/``: encoders, review sentiment, query intent.

Everything here runs offline: models load from local directories shipped inside PyPI
packages or built by ``interestgraph nlp train``; the hub is never contacted.
"""

from __future__ import annotations

import os

# Set before transformers is imported anywhere, so no code path can reach the hub.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
