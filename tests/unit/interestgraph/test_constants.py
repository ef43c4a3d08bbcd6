"""The domain constants are defined once, in ``interestgraph.constants``; where Cypher (or a
Browser asset) has to spell one out, it must agree with that source.

Relationship types cannot be parameters in a ``MATCH`` pattern, and a decay expression is
written out in each statement, so these checks read every ``.cypher`` file and the Browser
assets: every relationship type they name is one Python knows, every list of behaviour
types is complete, every weight written next to a type equals Python's, and every decay
has the one canonical form ``2.0 ^ (-(<elapsed ms>) / $half_life_ms)``.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from interestgraph import constants as c
from interestgraph.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
LIBRARY = ("interestgraph", "ingest", "gnn", "textenc", "workers", "reports", "neo4j_local", "bench", "cli")

ITEM_BEHAVIOURS = frozenset(b.value for b in c.Behaviour)
ALL_BEHAVIOURS = frozenset(c.REL_TYPES)
BANDS = frozenset(f"INTEREST_{n}" for n in range(1, c.INTEREST_BANDS + 1))
KNOWN_TYPES = ALL_BEHAVIOURS | c.STRUCTURE_REL_TYPES
EVENT_TYPES = frozenset(t.value for t in c.EventType)
WEIGHT = {t.value: w for t, w in c.TYPE_WEIGHT.items()}
REL_OF = {t.value: r for t, r in c.REL_OF_EVENT.items()}


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("//", 1)[0] if not line.lstrip().startswith("//") else "" for line in text.splitlines())


def cypher_files() -> dict[str, str]:
    """Every statement's body (``//`` comments removed), by ``area/name``."""
    root = resources.files("cypher")
    found = {}
    for area in root.iterdir():
        if area.is_dir():
            for f in area.iterdir():
                if f.name.endswith(".cypher"):
                    found[f"{area.name}/{f.name}"] = _strip_comments(f.read_text("utf-8"))
    assert len(found) > 50, "the Cypher files were not found"
    return found


def browser_asset(name: str) -> str:
    return resources.files("cypher").joinpath("browser", name).read_text("utf-8")


def pattern_types(text: str) -> list[tuple[str, ...]]:
    """The relationship types of every pattern ``[v:A|B {...}]`` (dynamic ``$(...)`` types skipped)."""
    return [tuple(t.split("|")) for t in re.findall(r"\[\s*\w*\s*:\s*([A-Z][A-Z0-9_]*(?:\|[A-Z][A-Z0-9_]*)*)", text)]


def decay_problems(text: str) -> list[str]:
    """Every ``^`` that is not ``2.0 ^ (-(<expression>) / $half_life_ms)``, as a snippet."""
    problems = []
    for m in re.finditer(r"\^", text):
        snippet = " ".join(text[max(0, m.start() - 30):m.start() + 90].split())
        if not text[:m.start()].endswith("2.0 "):
            problems.append(f"base is not 2.0: {snippet}")
            continue
        rest = text[m.end():].lstrip()
        close = _matching(rest, 0)
        inner = rest[1:close].strip() if rest.startswith("(") and close > 0 else ""
        if not inner.startswith("-("):
            problems.append(f"exponent is not -(elapsed) / $half_life_ms: {snippet}")
            continue
        elapsed_end = _matching(inner, 1)
        if elapsed_end < 0 or not re.fullmatch(r"\s*/\s*\$half_life_ms\s*", inner[elapsed_end + 1:]):
            problems.append(f"exponent is not -(elapsed) / $half_life_ms: {snippet}")
    return problems


def _matching(text: str, start: int) -> int:
    """Index of the parenthesis closing the one at ``start``, or -1."""
    if start >= len(text) or text[start] != "(":
        return -1
    depth = 0
    for i in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i
    return -1


def test_python_constants_hang_together():
    assert set(c.BEHAVIOUR_OF) | {c.EventType.SEARCH} == set(c.EventType)
    assert set(c.TYPE_WEIGHT) == set(c.EventType)
    assert set(c.REL_OF_EVENT.values()) == ALL_BEHAVIOURS
    # The trained models' feature columns: this order is part of every saved model.
    assert c.REL_TYPES == ("VIEWED", "CLICKED", "ADDED_TO_CART", "PURCHASED", "REVIEWED", "SEARCHED")
    # purchase > cart > click > view
    w = c.TYPE_WEIGHT
    assert w[c.EventType.PURCHASE] > w[c.EventType.CART] > w[c.EventType.CLICK] > w[c.EventType.VIEW] > 0
    assert c.decay(8.0, 0, 14 * c.DAY_MS, 14 * c.DAY_MS) == pytest.approx(4.0)


def test_every_relationship_type_in_cypher_is_known_to_python():
    unknown = {f"{name}: {t}" for name, text in cypher_files().items()
               for types in pattern_types(text) for t in types if t not in KNOWN_TYPES}
    assert not unknown, f"relationship types Python does not know (interestgraph.constants): {sorted(unknown)}"


def test_lists_of_behaviour_types_are_complete():
    """A pattern naming two or more behaviour types names all of them: every item behaviour,
    or every behaviour including SEARCHED, so a new type cannot be missed in one query."""
    texts = {**cypher_files(), "browser/guide_intro.md": browser_asset("guide_intro.md")}
    wrong = []
    for name, text in texts.items():
        for types in pattern_types(text):
            named = set(types) & ALL_BEHAVIOURS
            if len(named) >= 2 and named not in (ITEM_BEHAVIOURS, ALL_BEHAVIOURS):
                wrong.append(f"{name}: {'|'.join(types)}")
    assert not wrong, f"incomplete behaviour type lists: {wrong}"


def test_no_weight_or_type_mapping_is_retyped_in_cypher():
    """Weights and type mappings travel as parameters ($weights, $rels); any that are written
    out (``WHEN 'view' THEN ...``) must equal Python's."""
    drift = []
    for name, text in cypher_files().items():
        for kind, value in re.findall(r"WHEN\s+'(\w+)'\s+THEN\s+('?[\w.]+'?)", text):
            if kind not in EVENT_TYPES:
                continue
            if value.startswith("'"):
                if value.strip("'") != REL_OF[kind]:
                    drift.append(f"{name}: {kind} -> {value}, Python says {REL_OF[kind]}")
            elif float(value) != WEIGHT[kind]:
                drift.append(f"{name}: {kind} weighs {value}, Python says {WEIGHT[kind]}")
        for kind in re.findall(r"\.type\s*(?:=|<>)\s*'(\w+)'", text):
            if kind not in EVENT_TYPES:
                drift.append(f"{name}: unknown event type {kind!r}")
    assert not drift, drift


def test_every_decay_has_the_canonical_form():
    problems = [f"{name}: {p}" for name, text in cypher_files().items() for p in decay_problems(text)]
    assert not problems, problems
    # The decays are all there is to find: a half-life is never written out.
    for name, text in cypher_files().items():
        assert text.count("$half_life_ms") == text.count("^"), f"{name} uses $half_life_ms outside a decay"
        for literal in re.findall(r"\b(\d{7,}(?:\.\d+)?)\b", text):
            assert float(literal) == c.DAY_MS, f"{name}: {literal} is not a day in milliseconds"


def test_the_canonical_form_is_what_the_check_accepts():
    assert not decay_problems("w * 2.0 ^ (-(at - old) / $half_life_ms)")
    assert not decay_problems("w * 2.0 ^ (-((datetime() + d).epochMillis - x)\n   / $half_life_ms)")
    assert decay_problems("w * 2 ^ (-(at - old) / $half_life_ms)")
    assert decay_problems("w * 2.0 ^ (-(at - old) / 1209600000.0)")
    assert decay_problems("w * 2.0 ^ (-at * 2 / $half_life_ms)")


def test_python_decays_only_through_constants():
    offenders = [str(p.relative_to(ROOT)) for pkg in LIBRARY if (ROOT / pkg).is_dir()
                 for p in (ROOT / pkg).rglob("*.py")
                 if p.name != "constants.py" and re.search(r"\b2(?:\.0)? \*\* \(-", p.read_text("utf-8"))]
    assert not offenders, f"decay written out instead of interestgraph.constants.decay: {offenders}"


def test_browser_style_draws_behaviour_by_weight():
    """style.grass gives every behaviour type a style, draws item behaviour as thick as its
    weight (view 1px .. purchase 8px), and styles only types Python knows."""
    style = browser_asset("style.grass")
    widths = {t: float(w) for t, w in re.findall(r"relationship\.(\w+)\s*\{[^}]*?shaft-width:\s*([\d.]+)px", style)}
    assert set(widths) <= KNOWN_TYPES | BANDS, sorted(set(widths) - KNOWN_TYPES - BANDS)
    assert ALL_BEHAVIOURS | BANDS <= set(widths)
    for event, rel in c.BEHAVIOUR_OF.items():
        weight = c.TYPE_WEIGHT[event]
        assert widths[rel] == weight, f"style.grass: {rel} is {widths[rel]}px, its weight is {weight}"


def test_browser_guide_states_the_default_half_life():
    days = re.findall(r"(\d+(?:\.\d+)?)-day half-life", browser_asset("guide_intro.md"))
    assert days == [f"{Settings.model_fields['half_life_days'].default:g}"]
