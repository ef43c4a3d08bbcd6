"""Condition waits for tests: poll until something is true instead of sleeping and hoping."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float, what: str, every: float = 0.05,
               ignore: tuple[type[BaseException], ...] = ()) -> T:
    """Call ``predicate`` every ``every`` seconds until it returns something truthy, and return that.

    Fails the test with ``timed out after Ns waiting for <what>`` when ``timeout`` seconds pass
    first. Exceptions of the ``ignore`` types count as "not yet" (the last one is shown in the
    failure); any other exception fails at once.
    """
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while True:
        try:
            got = predicate()
            if got:
                return got
        except ignore as e:
            last = e
        if time.monotonic() >= deadline:
            detail = f" (last error: {type(last).__name__}: {last})" if last is not None else ""
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}{detail}")
        time.sleep(every)
