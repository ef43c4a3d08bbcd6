"""The project's error tree.

::

    InterestGraphError
     +-- ConfigError              a setting is missing or malformed
     +-- LocalServiceError        the local Neo4j/Redis launcher cannot do what was asked
     |    +-- ToolMissingError    java or mvn is not installed
     |    +-- PortTakenError      another process listens on a port we need
     +-- UnknownQueryError        a Cypher file name that the registry does not know
     +-- GraphError               the graph refused or failed a statement (driver error chained)
     |    +-- TransientGraphError the same call may succeed if retried
     |    +-- RefusedGraphError   the database refused the statement's data: the same input fails again
     |    +-- GraphMemoryError    the transaction ran out of memory: retry it smaller, not as it is
     +-- NotFoundError            a user or item id that the graph does not hold
     +-- StreamFullError          an event stream holds as much as it may: publish later
     +-- InputError               a command argument or input file is unusable

Bad *events* are not errors: they are dead-lettered with their line number and reason,
and the valid events around them still land (see ``ingest.events``).
"""

from __future__ import annotations


class InterestGraphError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(InterestGraphError):
    """A setting is missing or malformed."""


class LocalServiceError(InterestGraphError):
    """The local Neo4j or Redis cannot be installed, started or stopped."""


class ToolMissingError(LocalServiceError):
    """A required executable (java, mvn, redis-server) is not on PATH."""


class PortTakenError(LocalServiceError):
    """Another process already listens on a port the local service needs."""


class UnknownQueryError(InterestGraphError, KeyError):
    """A Cypher statement name that is not in the registry."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class GraphError(InterestGraphError):
    """Neo4j refused or failed a statement; the driver error is chained as ``__cause__``."""


class TransientGraphError(GraphError):
    """A graph failure that may succeed when retried (deadlock, leader switch, restart)."""


class RefusedGraphError(GraphError):
    """The database refused what a statement was given (a type error, a constraint, a bad request).

    Retried as it is, it fails the same way; a batch that gets this can be split to find the
    records it is about. Configuration errors (unknown database, credentials) are not this.
    """


class GraphMemoryError(GraphError):
    """The transaction ran out of memory (its own limit or the server's pool).

    Not transient: the same transaction would run out again. Split the work and retry the parts.
    """


class NotFoundError(InterestGraphError):
    """An id the graph does not hold."""


class StreamFullError(InterestGraphError):
    """An event stream is at its cap (entries, or the Redis server's memory): nothing more is
    accepted until consumers catch up; the message says how much was published."""


class InputError(InterestGraphError):
    """A command argument or input file cannot be used as given."""
