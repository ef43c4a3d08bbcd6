"""The local Neo4j launcher: a real Neo4j 5.26 Community from Maven Central, no Docker."""

from neo4j_local.launcher import Layout, install, start, status, stop

__all__ = ["Layout", "install", "start", "status", "stop"]
