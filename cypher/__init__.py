"""Data only: the project's Cypher statements, ``<area>/<verb_noun>.cypher``.

They are read by the registry in :mod:`interestgraph.cypher_registry`; nothing here imports
Python code, so the registry (the foundation layer) can load them without a cycle.
"""
