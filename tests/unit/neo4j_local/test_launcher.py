import socket
from pathlib import Path

import pytest

from interestgraph.errors import ToolMissingError
from neo4j_local import launcher


def test_artifact_parse_with_and_without_classifier():
    a = launcher.Artifact.parse("   org.neo4j:neo4j:jar:5.26.30:compile:/m2/neo4j-5.26.30.jar")
    assert a == launcher.Artifact("org.neo4j:neo4j", Path("/m2/neo4j-5.26.30.jar"), "5.26.30")
    assert a.coords == "org.neo4j:neo4j:5.26.30"
    b = launcher.Artifact.parse(
        "io.netty:netty-transport-native-epoll:jar:linux-x86_64:4.1.1:compile:/m2/x-linux-x86_64.jar")
    assert b is not None and b.key == "io.netty:netty-transport-native-epoll:linux-x86_64"
    assert b.coords == "io.netty:netty-transport-native-epoll:linux-x86_64:4.1.1"
    assert launcher.Artifact.parse("The following files have been resolved:") is None


def test_port_free_sees_a_listener():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert not launcher.port_free(port)


def test_missing_tool_is_one_clear_line(monkeypatch):
    monkeypatch.setattr(launcher.shutil, "which", lambda name: None)
    with pytest.raises(ToolMissingError) as info:
        launcher.java_major()
    assert "java is not on PATH" in str(info.value) and "\n" not in str(info.value)


def test_conf_template_keeps_auth_on():
    conf = launcher._conf_template().format(bolt_port=1, http_port=2)
    assert "dbms.security.auth_enabled=true" in conf
    assert "server.default_listen_address=127.0.0.1" in conf


def test_initial_password_argfile_quotes_every_character():
    assert launcher._argfile_quote("simple") == '"simple"'
    assert launcher._argfile_quote('a b"c\\d') == '"a b\\"c\\\\d"'


def test_neo4j_runs_with_a_private_umask_in_a_private_folder(monkeypatch, tmp_path):
    layout = launcher.Layout.under(tmp_path)
    layout.root.mkdir(mode=0o755)
    (layout.root / "data").mkdir()  # made by an older version, world-readable
    launcher.make_private(layout)
    assert layout.root.stat().st_mode & 0o777 == 0o700
    seen = {}
    monkeypatch.setattr(launcher, "require_tool", lambda name, purpose: "/usr/bin/java")
    monkeypatch.setattr(launcher.subprocess, "run", lambda cmd, **kw: seen.update(kw))
    launcher._neo4j_command(layout, "status")
    assert seen["umask"] == 0o077  # auth.ini, the store and the logs: 0600
