import re
from pathlib import Path

import pytest
from setuptools import find_packages

from interestgraph import cypher_registry as cypher
from interestgraph.errors import UnknownQueryError
from interestgraph.schema import statements

ROOT = Path(__file__).resolve().parents[3]
PKGS = sorted({p.split(".")[0] for p in find_packages(str(ROOT), exclude=["tests*"])})


def test_every_file_loads_with_a_header_and_one_statement():
    assert cypher.names(), "no Cypher files were found"
    for name in cypher.names():
        assert cypher.header(name), f"{name} has no // header"
        body = cypher.statement_text(name)
        assert body and not body.rstrip().rstrip(";").count(";"), f"{name} must hold one statement"


def test_unknown_name_lists_valid_names():
    with pytest.raises(UnknownQueryError) as info:
        cypher.query("ingest/nope")
    assert "ingest/merge_items" in str(info.value)


def test_every_file_is_used_by_code():
    source = "\n".join(p.read_text() for pkg in PKGS for p in (ROOT / pkg).rglob("*.py"))
    used = set(re.findall(r'"((?:schema|ingest|gnn|serve|admin|analyst|bench)/[a-z_0-9]+)"', source))
    used |= set(statements())  # applied by listing schema/create_*
    used |= set(cypher.names("analyst"))  # run by name through `interestgraph query`
    unused = sorted(set(cypher.names()) - used)
    assert not unused, f"Cypher files no code runs: {unused}"
    missing = sorted(used - set(cypher.names()))
    assert not missing, f"code names Cypher files that do not exist: {missing}"


def test_no_cypher_in_python_strings():
    pattern = re.compile(r'"[^"\n]*\b(MATCH|MERGE|UNWIND|DETACH DELETE|CREATE CONSTRAINT) *\(')
    offenders = [str(p) for pkg in PKGS for p in (ROOT / pkg).rglob("*.py") if pattern.search(p.read_text())]
    assert not offenders


def test_schema_constraints_come_before_indexes():
    names = statements()
    kinds = [n.endswith("_constraint") for n in names]
    assert kinds == sorted(kinds, reverse=True)
    assert "schema/create_user_embedding_index" in names
