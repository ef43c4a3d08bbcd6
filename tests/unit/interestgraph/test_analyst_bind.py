"""interestgraph.analyst.bind: an analyst query's parameters checked against its header and
defaults filled, with no database (the integration tests run the bound queries)."""

from __future__ import annotations

import pytest

from interestgraph import analyst
from interestgraph.analyst import FROM_SETTINGS, AnalystQuery, Param, bind
from interestgraph.errors import InputError
from interestgraph.settings import Settings

REQUIRED = analyst._REQUIRED  # what the header parser gives a parameter without a default


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings.without_graph({"INTERESTGRAPH_HALF_LIFE_DAYS": "2"})


def query(*params: Param) -> AnalystQuery:
    return AnalystQuery("probe", "a test query", params, "x", needs_embedding=False)


def p(name: str, kind: str, default: object = REQUIRED) -> Param:
    return Param(name, kind, default, "")


PROBE = query(p("user_id", "string"), p("half_life_ms", "float", FROM_SETTINGS), p("k", "int", 20),
              p("day", "date", "2026-01-02"), p("other", "string|null", None))


def test_defaults_are_filled_and_the_setting_default_comes_from_the_settings(settings):
    assert bind(PROBE, {"user_id": "u1"}, settings) == {
        "user_id": "u1", "half_life_ms": 2 * 86_400_000.0, "k": 20, "day": "2026-01-02", "other": None}
    given = {"user_id": "u1", "half_life_ms": 5, "k": 3, "day": "2026-03-04", "other": "x"}
    bound = bind(PROBE, given, settings)
    assert bound == {**given, "half_life_ms": 5.0} and isinstance(bound["half_life_ms"], float)


def test_unknown_parameters_are_named_with_what_the_query_takes(settings):
    with pytest.raises(InputError) as info:
        bind(PROBE, {"user_id": "u1", "kk": 3, "a": 1}, settings)
    assert str(info.value) == ("probe takes no parameter(s) a, kk; it takes: "
                               "user_id, half_life_ms?, k?, day?, other?")


def test_missing_required_parameters_are_named(settings):
    two = query(p("from", "date"), p("to", "date"), p("k", "int", 5))
    with pytest.raises(InputError) as info:
        bind(two, {}, settings)
    assert str(info.value) == "probe needs a value for parameter(s): from, to"
    with pytest.raises(InputError, match=r"needs a value for parameter\(s\): user_id$"):
        bind(PROBE, {"k": 1}, settings)


@pytest.mark.parametrize(("value", "expected"), [("u1", "u1"), (42, "42"), (4.5, "4.5")])
def test_string_parameters_accept_strings_and_numbers_as_ids(settings, value, expected):
    # `--param user_id=42` arrives as a JSON number; ids are strings.
    assert bind(PROBE, {"user_id": value}, settings)["user_id"] == expected


@pytest.mark.parametrize("value", [True, ["u1"], {"id": "u1"}])
def test_string_parameters_refuse_other_types(settings, value):
    with pytest.raises(InputError, match="probe: parameter user_id has the wrong type"):
        bind(PROBE, {"user_id": value}, settings)


@pytest.mark.parametrize("k", [0, 1, 10_000])
def test_int_parameters_in_range_pass(settings, k):
    assert bind(PROBE, {"user_id": "u", "k": k}, settings)["k"] == k


@pytest.mark.parametrize(("k", "message"), [(-1, "between 0 and 10000, got -1"), (10_001, "between 0 and 10000"),
                                            (True, "wrong type"), (2.0, "wrong type"), ("3", "wrong type")])
def test_int_parameters_out_of_range_or_of_another_type_are_refused(settings, k, message):
    with pytest.raises(InputError, match=message):
        bind(PROBE, {"user_id": "u", "k": k}, settings)


@pytest.mark.parametrize("value", [False, "1.5", None])
def test_float_parameters_refuse_booleans_strings_and_null(settings, value):
    with pytest.raises(InputError, match="half_life_ms"):
        bind(PROBE, {"user_id": "u", "half_life_ms": value}, settings)


def test_dates_must_be_iso_days(settings):
    assert bind(PROBE, {"user_id": "u", "day": "2026-11-20"}, settings)["day"] == "2026-11-20"
    for bad in ("26-10-2026", "2026-13-01", "yesterday"):
        with pytest.raises(InputError, match=f"must be a date 'YYYY-MM-DD', got '{bad}'"):
            bind(PROBE, {"user_id": "u", "day": bad}, settings)
    with pytest.raises(InputError, match="wrong type"):
        bind(PROBE, {"user_id": "u", "day": 20261120}, settings)


def test_null_only_where_the_header_says_type_or_null(settings):
    assert bind(PROBE, {"user_id": "u", "other": None}, settings)["other"] is None
    with pytest.raises(InputError, match="probe: parameter user_id must not be null"):
        bind(PROBE, {"user_id": None}, settings)


COHORT = query(p("cohort", "map"))


def test_a_cohort_is_a_segment_or_users_with_a_min_share_filled_in(settings):
    assert bind(COHORT, {"cohort": {"segment": "books"}}, settings)["cohort"] == {"segment": "books",
                                                                                   "min_share": 0.2}
    got = bind(COHORT, {"cohort": {"users": ["u1", "u2"], "min_share": 1}}, settings)["cohort"]
    assert got == {"users": ["u1", "u2"], "min_share": 1.0} and isinstance(got["min_share"], float)


@pytest.mark.parametrize(("cohort", "message"), [
    ("books", "must be a map"),
    ({"segment": "books", "colour": "red"}, "unknown key.*colour"),
    ({"min_share": 0.5}, "needs a segment .* or a list of users"),
    ({"segment": "", "users": []}, "needs a segment"),
    ({"users": "u1"}, "users must be a list of user id strings"),
    ({"users": ["u1", 2]}, "users must be a list of user id strings"),
    ({"segment": "books", "min_share": 1.5}, "min_share must be a number from 0 to 1, got 1.5"),
    ({"segment": "books", "min_share": -0.1}, "min_share must be a number from 0 to 1"),
    ({"segment": "books", "min_share": True}, "min_share must be a number from 0 to 1, got True"),
])
def test_bad_cohorts_are_refused_with_the_reason(settings, cohort, message):
    with pytest.raises(InputError, match=message):
        bind(COHORT, {"cohort": cohort}, settings)


def test_a_real_header_binds_as_documented(settings):
    # cypher/analyst/interest_movers.cypher: $user_id: string|null = null, $from/$to: date,
    # $half_life_ms: float = setting, $k: int = 20.
    movers = analyst.describe("interest_movers")
    assert bind(movers, {"from": "2026-01-01", "to": "2026-02-01"}, settings) == {
        "user_id": None, "from": "2026-01-01", "to": "2026-02-01", "half_life_ms": 2 * 86_400_000.0, "k": 20}
    with pytest.raises(InputError, match=r"needs a value for parameter\(s\): to$"):
        bind(movers, {"from": "2026-01-01"}, settings)
