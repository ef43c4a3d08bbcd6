"""Interest Graph: a live e-commerce user interest graph in Neo4j with GNN embeddings."""

__version__ = "0.1.0"
