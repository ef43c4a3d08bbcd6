"""What `docker build .` sends to the daemon: never a key, a certificate, a secret or an output.

The patterns are matched the way Docker matches them: relative to the context's root, ``*``
within one path element, ``**`` across any number, and a pattern that matches a folder
excludes everything under it.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [ln.strip().lstrip("/") for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def regex(pattern: str) -> re.Pattern[str]:
    out = ""
    for part in re.split(r"(\*\*/|\*\*|\*|\?)", pattern.rstrip("/")):
        out += {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(part, re.escape(part))
    return re.compile(out)


def excluded(path: str) -> bool:
    parts = path.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    return any(regex(p).fullmatch(prefix) for p in patterns() if not p.startswith("!") for prefix in prefixes)


@pytest.mark.parametrize("path", [
    "certs/bolt/private.key", "certs/bolt/public.crt", "out/report.html", "secrets/neo4j_password",
    ".env", ".env.local", "deploy/.env.production", "bolt.key", "deploy/tls/server.key", "deploy/tls/chain.pem",
])
def test_keys_certificates_secrets_and_outputs_stay_out_of_the_image(path):
    assert excluded(path), f"{path} would be copied into the image"


@pytest.mark.parametrize("path", ["ingest/writer.py", "pyproject.toml", "uv.lock", "requirements/uv.txt",
                                  "cypher/ingest/merge_items.cypher", "neo4j_local/assembly/server.xml"])
def test_the_project_itself_goes_in(path):
    assert not excluded(path)
