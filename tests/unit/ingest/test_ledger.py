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


def test_events_before_the_replay_window_are_refused_unless_backfilling(tmp_path):
    from ingest.deadletter import DeadLetters
    from ingest.ledger import ReplayWindow
    from ingest.pipeline import validated

    now, day = 1_796_000_000_000, 86_400_000
    records = [(n, {"event_id": f"e{n}", "user_id": "u", "type": "view", "ts": now - age * day, "item_id": "i"})
               for n, age in enumerate((0, 29, 31, 400), start=1)]
    with DeadLetters(tmp_path / "dead.jsonl") as dead:
        kept = [ev.event_id for ev in validated("f", records, dead, now_ms=now, window=ReplayWindow(30))]
    assert kept == ["e1", "e2"] and dead.count == 2
    assert "before the replay window" in (tmp_path / "dead.jsonl").read_text()
    with DeadLetters(tmp_path / "none.jsonl") as dead:  # a backfill passes no window
        assert len(list(validated("f", records, dead, now_ms=now))) == 4
