"""The Neo4j assembly's lock: the sha256 of every jar Maven resolves for it, checked in.

``assembly/jars.sha256`` pins each jar by version (its Maven coordinates) and content. The
launcher checks every resolved jar against it before anything is installed and refuses to
assemble on a jar whose hash differs, a jar the lock does not list, or a listed jar the
assembly no longer resolves, so a changed version or a tampered download never reaches
``lib/`` or ``plugins/``. ``make neo4j-lock`` (part of ``make lock``) rewrites it on purpose.

One line per jar: ``<sha256>  <group>:<artifact>[:<classifier>]:<version>``; ``#`` starts a comment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from interestgraph.errors import LocalServiceError
from interestgraph.files import sha256_file

NAME = "jars.sha256"
REGENERATE = "if the change is intended, run `make neo4j-lock` and commit neo4j_local/assembly/jars.sha256"
_LINE = re.compile(r"([0-9a-f]{64})\s+(\S+)")
_HEADER = (f"# sha256 of every jar the Neo4j assembly resolves (neo4j_local/assembly/*.xml), checked before\n"
           f"# anything is installed. Written by `make neo4j-lock`; {NAME} is never edited by hand.\n")




def parse(text: str) -> dict[str, str]:
    """``{coordinates: sha256}`` of a lock's text; a malformed line is an error, not skipped."""
    pinned: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _LINE.fullmatch(line.strip())
        if m is None:
            raise LocalServiceError(f"{NAME} line {n}: expected '<sha256>  <group:artifact:version>', got {line!r}")
        pinned[m.group(2)] = m.group(1)
    return pinned


def checked_in() -> dict[str, str]:
    """The lock that ships with the package."""
    return parse(resources.files("neo4j_local").joinpath("assembly", NAME).read_text("utf-8"))


def render(jars: Iterable[tuple[str, Path]]) -> str:
    """The lock's text for resolved ``(coordinates, path)`` pairs, sorted, one line each."""
    lines = sorted({f"{sha256_file(path)}  {coords}" for coords, path in jars}, key=lambda ln: ln.split()[1])
    return _HEADER + "".join(line + "\n" for line in lines)


def verify(jars: Iterable[tuple[str, Path]], pinned: dict[str, str]) -> None:
    """Raise unless every resolved jar is listed in ``pinned`` with its hash, and every listed one resolved.

    Raises:
        LocalServiceError: names each jar that differs, is not listed, or is listed but not resolved.
    """
    problems: list[str] = []
    seen: set[str] = set()
    for coords, path in jars:
        seen.add(coords)
        want = pinned.get(coords)
        if want is None:
            problems.append(f"{coords} is not in the lock")
            continue
        got = sha256_file(path)
        if got != want:
            problems.append(f"{coords} has sha256 {got}, the lock says {want} ({path})")
    problems += [f"{coords} is in the lock but the assembly no longer resolves it"
                 for coords in sorted(set(pinned) - seen)]
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise LocalServiceError(f"refusing to assemble Neo4j: {len(problems)} jar(s) do not match {NAME}: {shown}. "
                                + REGENERATE)
