"""Benchmarks behind `interestgraph bench ...`: each prints one JSON object."""
