"""Everything a fresh machine or image fetches is pinned: checks on the files that pin it."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_lines(text: str) -> list[str]:
    """The Dockerfile's RUN instructions, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    return [line[4:] for line in joined.splitlines() if line.startswith("RUN ")]


def test_the_image_installs_only_what_the_lock_pins():
    runs = run_lines((ROOT / "Dockerfile").read_text())
    installs = [cmd for run in runs for cmd in run.split("&&") if re.search(r"\b(pip|uv)\b.*\b(install|sync)\b", cmd)]
    assert installs, "the Dockerfile installs nothing?"
    for cmd in installs:
        assert "--require-hashes" in cmd or ("uv sync" in cmd and "--frozen" in cmd), cmd
        assert not re.search(r"pip install[^|]* \.(\s|$)", cmd), f"installs the tree without the lock: {cmd}"


def lock_versions() -> dict[str, str]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return {p["name"]: p["version"] for p in lock["package"] if "version" in p}


def test_flower_requirements_agree_with_the_lock_and_carry_hashes():
    text = (ROOT / "requirements" / "flower.txt").read_text()
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", text, flags=re.M))
    assert "flower" in pins
    locked = lock_versions()
    for name, version in pins.items():
        norm = re.sub(r"[-_.]+", "-", name).lower()
        if norm in locked:  # an older copy here would downgrade the image's locked package
            assert locked[norm] == version, f"{name}: requirements/flower.txt has {version}, uv.lock {locked[norm]}"
    blocks = re.split(r"\n(?=[A-Za-z])", text.strip())
    assert all("--hash=sha256:" in block for block in blocks if not block.startswith("#"))


def test_debian_packages_are_pinned_to_their_line():
    makefile = (ROOT / "Makefile").read_text()
    assert '"redis-server=$(REDIS_APT_VERSION)"' in makefile and "REDIS_APT_VERSION ?= 5:7.0.*" in makefile
    assert '"fonts-wqy-microhei=$(FONT_APT_VERSION)"' in makefile
    assert "chromedriver --version" in makefile  # the driver must match the browser
