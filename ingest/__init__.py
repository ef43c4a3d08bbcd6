"""Behaviour ingest: the event contract, file sources, dead letters and the graph writer."""
