"""Text understanding shared by ``ingest/`` and ``gnn/``: encoders, review sentiment, query intent.

Everything here runs offline: models load from local directories shipped inside PyPI
packages or built by ``interestgraph nlp train``; the hub is never contacted.
"""

from __future__ import annotations

import os

# A safety switch, not a setting, so it is not part of interestgraph.settings.Settings: nothing in
# this project may download a model at run time (models are local directories, see
# textenc.encoders), and the only way to make that hold for every transformers and huggingface_hub
# code path, including ones a dependency triggers, is their own environment variables, set
# before transformers is imported anywhere. Overriding them is deliberately impossible.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
