import math

import pytest

from ingest.ledger import prune
from interestgraph.errors import InputError
from interestgraph.settings import Settings


class NoDriver:
    """Pruning must be refused before the database is reached."""

    def session(self, *args, **kwargs):
        raise AssertionError("prune reached the database")


@pytest.mark.parametrize("days", [0, 0.5, -3, math.nan])
def test_the_ledger_is_never_pruned_to_less_than_a_day(days):
    # days=0 would forget every event id: the next replay of anything would count it twice.
    with pytest.raises(InputError, match="at least 1 day"):
        prune(NoDriver(), Settings.without_graph({}), days)


def test_the_prune_task_and_command_refuse_it_too():
    from typer.testing import CliRunner

    from cli.app import app

    out = CliRunner().invoke(app, ["ledger", "prune", "--days", "0"], env={"NEO4J_PASSWORD": "unused-password"})
    assert out.exit_code == 2 and "at least 1 day" in out.output
