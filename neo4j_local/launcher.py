"""A real Neo4j 5.26 Community server, assembled from Maven Central, run without Docker.

The layout under ``$INTERESTGRAPH_HOME/neo4j`` is the official distribution's
(``lib``, ``plugins``, ``conf``, ``data``, ``logs``, ``run``), and the server is started
by Neo4j's own ``Neo4jCommand`` entry point, exactly what ``bin/neo4j start`` runs. Data
lives in ``data/`` and survives stop/start. Auth is always on.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import SecretStr

from interestgraph.errors import LocalServiceError, PortTakenError, ToolMissingError
from neo4j_local import jar_lock

log = logging.getLogger(__name__)

BOLT_PORT = 7687
HTTP_PORT = 7474
_MIN_PASSWORD = 8
_MIN_JAVA = 17
# Neo4j writes auth.ini, the store and its logs: none of it is for other users of the machine.
UMASK = 0o077


@dataclass(frozen=True)
class Layout:
    """Where the local server's folders are."""

    root: Path

    @classmethod
    def under(cls, home: Path) -> Layout:
        """The layout for a server kept in ``home/neo4j``."""
        return cls(home / "neo4j")

    @property
    def lib(self) -> Path:
        """The server's jars: the classpath Neo4j is started with."""
        return self.root / "lib"

    @property
    def plugins(self) -> Path:
        """Plugin jars (APOC, GDS) that the server's classpath does not already hold."""
        return self.root / "plugins"

    @property
    def conf(self) -> Path:
        """Where ``neo4j.conf`` is kept (``NEO4J_CONF``)."""
        return self.root / "conf"

    @property
    def data(self) -> Path:
        """The databases; a missing ``databases/system`` means the server has never run."""
        return self.root / "data"

    @property
    def logs(self) -> Path:
        """The server's own logs, read for the first error when it fails to start."""
        return self.root / "logs"

    @property
    def run(self) -> Path:
        """Run-time files: the pid and the short-lived initial-password file."""
        return self.root / "run"

    @property
    def marker(self) -> Path:
        """Holds the fingerprint of the installed assembly, so a current one is not rebuilt."""
        return self.root / ".assembly"

    def env(self) -> dict[str, str]:
        """The environment Neo4j's commands run in: ours plus ``NEO4J_HOME`` and ``NEO4J_CONF``."""
        return {**os.environ, "NEO4J_HOME": str(self.root), "NEO4J_CONF": str(self.conf)}


@dataclass(frozen=True)
class Artifact:
    """One resolved jar: ``group:artifact[:classifier]``, its version and its file in ~/.m2."""

    key: str
    path: Path
    version: str = ""

    @classmethod
    def parse(cls, line: str) -> Artifact | None:
        """The artifact on one line of Maven's dependency list, or None for a line that names no jar."""
        # group:artifact:type[:classifier]:version:scope:/abs/path
        parts = line.strip().split(":")
        if len(parts) < 6 or not parts[-1].endswith(".jar"):
            return None
        coords, path = parts[:-1], parts[-1]
        group, artifact = coords[0], coords[1]
        classifier = coords[3] if len(coords) == 6 else ""
        key = f"{group}:{artifact}" + (f":{classifier}" if classifier else "")
        return cls(key, Path(path), coords[-2])

    @property
    def coords(self) -> str:
        """``group:artifact[:classifier]:version``, as the jar lock names it."""
        return f"{self.key}:{self.version}"


def make_private(layout: Layout) -> None:
    """Create the server's folder readable by its owner only (0700), and close an existing one.

    Neo4j itself runs with ``UMASK``; a folder made before that (files 0644) is closed here, so
    what is inside cannot be reached by other users whatever its own mode.
    """
    layout.root.mkdir(parents=True, exist_ok=True)
    layout.root.chmod(0o700)


def _assembly_text(name: str) -> str:
    return resources.files("neo4j_local").joinpath("assembly", name).read_text("utf-8")


def _conf_template() -> str:
    return resources.files("neo4j_local").joinpath("neo4j.conf").read_text("utf-8")


def _fingerprint() -> str:
    h = hashlib.sha256()
    for part in (_assembly_text("server.xml"), _assembly_text("plugins.xml"), _conf_template()):
        h.update(part.encode())
    return h.hexdigest()[:16]


def require_tool(name: str, purpose: str) -> str:
    """The path of executable ``name``; raises ``ToolMissingError`` saying what it is needed for."""
    path = shutil.which(name)
    if path is None:
        raise ToolMissingError(
            f"{name} is not on PATH: it is needed to {purpose} "
            f"(install it, e.g. `apt-get install {'openjdk-17-jdk-headless' if name == 'java' else name}`)"
        )
    return path


def java_major() -> int:
    """The major version of ``java`` on PATH; raises if missing or older than 17."""
    java = require_tool("java", "run Neo4j")
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not m:
        raise ToolMissingError(f"could not read the Java version from `java -version`: {out!r}")
    major = int(m.group(1)) if m.group(1) != "1" else int(m.group(2) or 0)
    if major < _MIN_JAVA:
        raise ToolMissingError(f"Neo4j 5.26 needs Java {_MIN_JAVA} or newer, found Java {major}")
    return major


def _resolve(pom_text: str, workdir: Path, label: str) -> list[Artifact]:
    mvn = require_tool("mvn", "fetch Neo4j from Maven Central")
    pom = workdir / f"{label}.xml"
    pom.write_text(pom_text, encoding="utf-8")
    listing = workdir / f"{label}.txt"
    cmd = [
        mvn, "-B", "-ntp", "-Dstyle.color=never", "-f", str(pom), "dependency:list",
        f"-DoutputFile={listing}", "-DoutputAbsoluteArtifactFilename=true",
        "-DincludeScope=runtime",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        errors = [ln for ln in proc.stdout.splitlines() if "[ERROR]" in ln][:3]
        raise LocalServiceError(
            f"Maven could not resolve the {label} assembly: " + (" | ".join(errors) or proc.stderr[-500:])
        )
    arts = [a for a in map(Artifact.parse, listing.read_text().splitlines()) if a is not None]
    if not arts:
        raise LocalServiceError(f"Maven resolved no jars for the {label} assembly")
    return arts


def resolve_assembly() -> tuple[list[Artifact], list[Artifact]]:
    """The server's and the plugins' jars as Maven resolves them (downloads go into ~/.m2 once)."""
    with tempfile.TemporaryDirectory(prefix="ig-neo4j-") as tmp:
        return (_resolve(_assembly_text("server.xml"), Path(tmp), "server"),
                _resolve(_assembly_text("plugins.xml"), Path(tmp), "plugins"))


def write_lock(path: Path) -> int:
    """Resolve the assembly and write its jar lock to ``path`` (on purpose: ``make neo4j-lock``); returns the jars."""
    server, plugins = resolve_assembly()
    jars = [(a.coords, a.path) for a in server + plugins]
    path.write_text(jar_lock.render(jars), encoding="utf-8")
    return len({coords for coords, _ in jars})


def install(layout: Layout, *, bolt_port: int = BOLT_PORT, http_port: int = HTTP_PORT,
            force: bool = False) -> bool:
    """Assemble the server under ``layout``; returns False when it was already current.

    Resolves the server and plugin jars with Maven (downloads happen once, into ~/.m2),
    refuses unless each is the jar ``assembly/jars.sha256`` pins (see :mod:`neo4j_local.jar_lock`),
    keeps one copy of each ``group:artifact`` with the server's version winning, and
    writes ``conf/neo4j.conf``. ``data/`` is never touched.
    """
    java_major()
    make_private(layout)
    fingerprint = _fingerprint()
    if not force and layout.marker.exists() and layout.marker.read_text().strip() == fingerprint:
        return False
    log.info("assembling Neo4j 5.26 Community + APOC + GDS + Browser from Maven Central "
             "(the first time downloads ~180 MB into ~/.m2)", extra={"into": str(layout.root)})
    server, plugins = resolve_assembly()
    # Nothing is copied unless every jar is the one the lock pins (version and sha256).
    jar_lock.verify([(a.coords, a.path) for a in server + plugins], jar_lock.checked_in())
    server_keys = {a.key for a in server}
    for folder, arts in ((layout.lib, server), (layout.plugins, [a for a in plugins if a.key not in server_keys])):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        for art in arts:
            shutil.copy2(art.path, folder / art.path.name)
    for sub in ("conf", "data", "logs", "run", "import", "licenses"):
        (layout.root / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
    conf = _conf_template().format(bolt_port=bolt_port, http_port=http_port)
    conf_file = layout.conf / "neo4j.conf"
    conf_file.write_text(conf, encoding="utf-8")
    conf_file.chmod(0o600)
    layout.marker.write_text(fingerprint + "\n")
    log.info("Neo4j assembled", extra={"into": str(layout.root), "server_jars": len(server),
                                       "plugin_jars": len(plugins) - len(server_keys & {a.key for a in plugins})})
    return True


def _neo4j_command(layout: Layout, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    java = require_tool("java", "run Neo4j")
    cmd = [java, "-cp", f"{layout.lib}/*", "org.neo4j.server.startup.Neo4jCommand", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=layout.env(), timeout=timeout, umask=UMASK)


def is_running(layout: Layout) -> bool:
    """True when the server's ``status`` command says it runs (False when not installed)."""
    if not layout.lib.exists():
        return False
    return _neo4j_command(layout, "status").returncode == 0


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on ``host:port`` (it can be bound now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _first_error(layout: Layout) -> str:
    log = layout.logs / "neo4j.log"
    if not log.exists():
        return "no neo4j.log was written"
    lines = log.read_text(errors="replace").splitlines()[-200:]
    causes = [ln.strip() for ln in lines if ln.strip().startswith("Caused by")]
    errors = [ln.strip() for ln in lines if " ERROR " in ln]
    picked = causes[-1] if causes else (errors[-1] if errors else lines[-1] if lines else "")
    return picked[:400]


def _wait_for_bolt(uri: str, user: str, password: str, timeout: float) -> Exception | None:
    from neo4j import GraphDatabase

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with GraphDatabase.driver(uri, auth=(user, password)) as driver:
                driver.verify_connectivity()
                return None
        except Exception as e:  # noqa: BLE001 - we report the last one
            last = e
            if type(e).__name__ in ("AuthError",) or "credentials" in str(e).lower():
                return e
            time.sleep(0.5)
    return last


def _argfile_quote(value: str) -> str:
    """One argument of a picocli @-file: double-quoted, with backslash and quote escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _set_initial_password(layout: Layout, password: SecretStr) -> None:
    """Store the password before the first start, so the server never runs with a default one.

    ``neo4j-admin dbms set-initial-password`` takes the password as an argument; it gets
    it from a 0600 @-file (picocli expands it), so it never appears on a command line.
    """
    java = require_tool("java", "run Neo4j")
    layout.run.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="initial-", dir=layout.run)  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(_argfile_quote(password.get_secret_value()))
        proc = subprocess.run([java, "-cp", f"{layout.lib}/*", "org.neo4j.server.startup.Neo4jAdminCommand",
                               "dbms", "set-initial-password", f"@{name}"],
                              capture_output=True, text=True, env=layout.env(), timeout=180, umask=UMASK)
    finally:
        os.unlink(name)
    if proc.returncode != 0:
        raise LocalServiceError(f"could not set Neo4j's initial password: {(proc.stdout + proc.stderr).strip()[-300:]}")


def start(layout: Layout, password: SecretStr, *, timeout: float = 120) -> str:
    """Start the server (installing it first if needed) and wait until Bolt answers.

    Returns a one-line description. Raises ``PortTakenError`` when 7687 or 7474 is held by
    another process, ``LocalServiceError`` with the server's own first error otherwise.
    """
    if len(password.get_secret_value()) < _MIN_PASSWORD:
        raise LocalServiceError(f"NEO4J_PASSWORD must have at least {_MIN_PASSWORD} characters "
                                f"(Neo4j's minimum), got {len(password.get_secret_value())}")
    install(layout)
    make_private(layout)
    uri = f"bolt://127.0.0.1:{BOLT_PORT}"
    if is_running(layout):
        err = _wait_for_bolt(uri, "neo4j", password.get_secret_value(), timeout)
        if err is not None:
            raise LocalServiceError(f"Neo4j is running but Bolt does not accept NEO4J_PASSWORD: {err}")
        return f"Neo4j already running: {uri}, Browser http://localhost:{HTTP_PORT}/browser/"
    for port in (BOLT_PORT, HTTP_PORT):
        if not port_free(port):
            raise PortTakenError(
                f"port {port} is already taken by another process; stop it "
                f"(e.g. `ss -ltnp 'sport = :{port}'` shows who) and run `interestgraph neo4j start` again"
            )
    if not (layout.data / "databases" / "system").exists():
        _set_initial_password(layout, password)
    log.info("starting Neo4j", extra={"bolt": uri, "timeout_s": timeout})
    proc = _neo4j_command(layout, "start")
    if proc.returncode != 0:
        raise LocalServiceError(f"Neo4j did not start: {_first_error(layout)}")
    err = _wait_for_bolt(uri, "neo4j", password.get_secret_value(), timeout)
    if err is not None:
        detail = _first_error(layout) if not is_running(layout) else str(err)
        raise LocalServiceError(f"Neo4j started but Bolt did not become ready in {timeout:.0f}s: {detail}")
    return f"Neo4j running: {uri}, Browser http://localhost:{HTTP_PORT}/browser/"


def stop(layout: Layout) -> str:
    """Stop the server if it runs; returns a line saying what happened."""
    if not layout.lib.exists() or not is_running(layout):
        return "Neo4j is not running"
    proc = _neo4j_command(layout, "stop", timeout=300)
    if proc.returncode != 0:
        raise LocalServiceError(f"Neo4j did not stop cleanly: {(proc.stdout + proc.stderr).strip()[-300:]}")
    return "Neo4j stopped"


def status(layout: Layout) -> dict[str, object]:
    """Whether the server is installed and running, its home, and its Bolt and Browser addresses."""
    installed = layout.marker.exists()
    running = installed and is_running(layout)
    return {
        "installed": installed,
        "running": running,
        "home": str(layout.root),
        "bolt": f"bolt://localhost:{BOLT_PORT}",
        "browser": f"http://localhost:{HTTP_PORT}/browser/",
    }
