"""GIN and GCN interest encoders, Neo4j subgraph extraction, refresh, registry."""

import warnings

# torch_geometric still calls torch.jit.script at import time; the warning is not ours.
warnings.filterwarnings("ignore", message=r".*torch\.jit\.script.*", category=FutureWarning)
