import re
from pathlib import Path

import pytest

from interestgraph.errors import LocalServiceError
from neo4j_local import jar_lock, launcher

ASSEMBLY = Path(launcher.__file__).parent / "assembly"


def jar(tmp_path, name, content):
    path = tmp_path / f"{name}.jar"
    path.write_bytes(content)
    return path


@pytest.fixture
def resolved(tmp_path):
    return [launcher.Artifact("org.neo4j:neo4j", jar(tmp_path, "neo4j", b"server"), "5.26.30"),
            launcher.Artifact("org.neo4j.procedure:apoc-core", jar(tmp_path, "apoc", b"apoc"), "5.26.19")]


def pairs(arts):
    return [(a.coords, a.path) for a in arts]


def test_a_lock_written_for_the_resolved_jars_verifies_them(resolved):
    lock = jar_lock.parse(jar_lock.render(pairs(resolved)))
    assert set(lock) == {"org.neo4j:neo4j:5.26.30", "org.neo4j.procedure:apoc-core:5.26.19"}
    jar_lock.verify(pairs(resolved), lock)


def test_a_changed_jar_an_unlisted_jar_and_a_missing_jar_are_refused(resolved, tmp_path):
    lock = jar_lock.parse(jar_lock.render(pairs(resolved)))
    resolved[1].path.write_bytes(b"tampered")
    extra = launcher.Artifact("org.example:evil", jar(tmp_path, "evil", b"x"), "1.0")
    with pytest.raises(LocalServiceError) as info:
        jar_lock.verify(pairs([resolved[1], extra]), lock)
    message = str(info.value)
    assert "apoc-core:5.26.19 has sha256" in message and "org.example:evil:1.0 is not in the lock" in message
    assert "org.neo4j:neo4j:5.26.30 is in the lock but the assembly no longer resolves it" in message
    assert "make neo4j-lock" in message


def test_install_refuses_before_copying_anything(monkeypatch, resolved, tmp_path):
    monkeypatch.setattr(launcher, "java_major", lambda: 17)
    monkeypatch.setattr(launcher, "resolve_assembly", lambda: (resolved[:1], resolved[1:]))
    layout = launcher.Layout.under(tmp_path / "home")
    with pytest.raises(LocalServiceError, match="refusing to assemble Neo4j"):
        launcher.install(layout)  # these jars are not the ones the checked-in lock pins
    assert not layout.lib.exists() and not layout.plugins.exists()


def test_the_checked_in_lock_pins_the_versions_the_assembly_names():
    lock = jar_lock.checked_in()
    props = dict(re.findall(r"<([a-z0-9]+)\.version>([^<]+)<", "".join(
        (ASSEMBLY / name).read_text() for name in ("server.xml", "plugins.xml"))))
    for coords in (f"org.neo4j:neo4j:{props['neo4j']}", f"org.neo4j.app:neo4j-server:{props['neo4j']}",
                   f"org.neo4j.client:neo4j-browser:{props['browser']}",
                   f"org.neo4j.procedure:apoc-core:{props['apoc']}", f"org.neo4j.gds:proc:{props['gds']}"):
        assert coords in lock, f"{coords} is not pinned: run `make neo4j-lock`"
    assert all(re.fullmatch(r"[0-9a-f]{64}", sha) for sha in lock.values())
