"""The package list lives in one place (setuptools' discovery); the import contract covers it all."""

import configparser
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_contract_names_every_package():
    found = {p.split(".")[0] for p in find_packages(str(ROOT), exclude=["tests*"])}
    ini = configparser.ConfigParser()
    ini.read(ROOT / ".importlinter")
    roots = set(ini["importlinter"]["root_packages"].split())
    layered = {name.strip() for layer in ini["importlinter:contract:layers"]["layers"].split("\n")
               for name in layer.split("|") if name.strip()}
    assert roots - {"tests"} == found, "a package is missing from .importlinter's root_packages (or is gone)"
    assert layered == roots, "every package sits in one layer of the contract"


def test_the_image_copies_the_tree_not_a_list():
    dockerfile = (ROOT / "Dockerfile").read_text()
    copies = [ln for ln in dockerfile.splitlines() if ln.startswith("COPY")]
    # The code comes in as the whole tree; only the lock files go first (a layer of dependencies
    # that changes only with the lock).
    assert copies[-1] == "COPY . .", copies
    assert set(copies[:-1]) <= {"COPY requirements/ requirements/", "COPY pyproject.toml uv.lock ./"}, copies
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", "tests", "secrets"} <= set(ignored)
