"""Neo4j Browser assets for analysts: the GraSS style and a guide built from the analyst library.

Neo4j Browser 5 loads a style with ``:style URL`` and a sidebar guide with ``:guide URL``
(Markdown; slides split by ``---``; ``cypher`` blocks become click-to-edit). It fetches both
from the page, so they must come from a host on ``browser.remote_content_hostname_allowlist``
with CORS headers for the Browser's origin. Neo4j serves no files of ours, so this small
loopback-only server does; ``browser.post_connect_cmd`` in ``neo4j.conf`` runs both commands
on every connect, and ``make demo`` starts the server. Nothing needs the internet.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
import urllib.error
import urllib.request
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

from interestgraph import analyst
from interestgraph import cypher_registry as cypher
from interestgraph.constants import DAY_MS
from interestgraph.errors import LocalServiceError
from interestgraph.settings import Settings

PORT = 7476
ORIGINS = ("http://localhost:7474", "http://127.0.0.1:7474")
STYLE_URL = f"http://localhost:{PORT}/style.grass"
GUIDE_URL = f"http://localhost:{PORT}/guide.md"
# Whoever starts the server hands it a fresh secret token; a request carrying a challenge gets
# HMAC(token, challenge) back, which only that server can compute: anything else listening on
# the port (started earlier, by someone else) cannot pass for it.
CHALLENGE_HEADER = "X-Interestgraph-Challenge"
PROOF_HEADER = "X-Interestgraph-Proof"

# Example values for the guide's :param blocks, keyed by parameter name (the demo data's).
EXAMPLES: dict[str, Any] = {
    "user_id": "u1", "date": "2026-11-22", "from": "2026-11-18", "to": "2026-11-26",
    "cohort": {"segment": "books", "min_share": 0.2}, "cohort_a": {"segment": "books", "min_share": 0.2},
    "cohort_b": {"segment": "beauty", "min_share": 0.2}, "model": None, "prefix": "",
}


# Float columns of the analyst queries that the Browser shows to 4 significant digits
# (`interestgraph query ... --json` keeps full precision).
ROUNDED = frozenset({
    "score", "weight", "weight_now", "share", "share_a", "share_b", "difference", "lift", "before", "after",
    "change", "strength", "segment_share", "top_share", "oldest_dirty_s", "refresh_per_s",
    "gnn_p50_s", "gnn_p95_s", "gnn_p99_s",
})
_SIGNIFICANT = ("CASE WHEN {c} IS :: FLOAT AND {c} <> 0 AND abs({c}) < 1e300 THEN round({c}, "
                "CASE WHEN abs({c}) >= 1000 THEN 0 ELSE 3 - toInteger(floor(log10(abs({c})))) END) ELSE {c} END AS {c}")


def display_columns(returns: str, text: str) -> list[str]:
    """The result columns named by a query's ``Returns:`` line that its final RETURN yields."""
    final = text[text.upper().rfind("RETURN"):]
    names = [m.group(0) for part in returns.rstrip(".").split(",")
             if (m := re.match(r"[A-Za-z_][A-Za-z0-9_]*", part.strip()))]
    return [n for n in names if re.search(rf"\b{n}\b", final)]


def for_display(returns: str, text: str) -> str:
    """``text`` wrapped so that its float columns come back rounded to 4 significant digits."""
    columns = display_columns(returns, text)
    if not ROUNDED & set(columns):
        return text
    shown = [_SIGNIFICANT.format(c=c) if c in ROUNDED else c for c in columns]
    body = "\n".join("  " + line if line else line for line in text.strip().splitlines())
    return "CALL () {\n" + body + "\n}\nRETURN " + ",\n       ".join(shown)


def style() -> str:
    """The Browser style sheet (``:style`` grass) as text."""
    return _asset("style.grass")


def _asset(name: str) -> str:
    return resources.files("cypher").joinpath("browser", name).read_text("utf-8")


def _literal(v: Any) -> str:
    """A Cypher literal for an example value (only the constants above and header defaults)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_literal(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_literal(x) for x in v) + "]"
    raise TypeError(f"no Cypher literal for {v!r}")


def default_half_life_ms() -> float:
    """The half-life setting's default (``Settings.half_life_days``), in milliseconds."""
    return float(Settings.model_fields["half_life_days"].default) * DAY_MS


def guide(half_life_ms: float | None = None) -> str:
    """The Markdown guide: the intro slide, then one slide per analyst query.

    ``half_life_ms`` fills the example ``$half_life_ms`` (default: the setting's default).
    """
    if half_life_ms is None:
        half_life_ms = default_half_life_ms()
    slides = [_asset("guide_intro.md").strip()]
    for q in analyst.library():
        params = {}
        for p in q.params:
            if p.name in EXAMPLES:
                params[p.name] = EXAMPLES[p.name]
            elif p.default == analyst.FROM_SETTINGS:
                params[p.name] = half_life_ms
            elif not p.required:
                params[p.name] = p.default
        lines = [f"## {q.name.replace('_', ' ')}", "", q.purpose, ""]
        lines += [f"- `${p.name}`: {p.type}" + ("" if p.required else " (default: the setting)"
                                                 if p.default == analyst.FROM_SETTINGS
                                                 else f" (default {json.dumps(p.default)})")
                  + (f", {p.doc}" if p.doc else "") for p in q.params]
        lines += ["", f"Returns: {q.returns}", ""]
        if ROUNDED & set(display_columns(q.returns, cypher.statement_text(q.qualified))):
            lines += [f"Numbers are shown to 4 significant digits; `interestgraph query {q.name} --json` "
                      "has every digit.", ""]
        if params:
            lines += ["```cypher", f":param {_literal(params)}", "```", ""]
        lines += ["```cypher", for_display(q.returns, cypher.statement_text(q.qualified)), "```", "",
                  f"Shell: `interestgraph query {q.name}" + "".join(f" --param {n}=..." for n in params) + "`"]
        slides.append("\n".join(lines))
    return "\n\n---\n\n".join(slides) + "\n"


class _Handler(BaseHTTPRequestHandler):
    server_version = "interestgraph-browser-assets"

    def _cors(self) -> None:
        origin = self.headers.get("Origin")
        if origin in ORIGINS:
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Access-Control-Allow-Methods", "GET, OPTIONS")
            # The Browser sends pragma/cache-control (and content-type) with guide requests.
            self.send_header("Access-Control-Allow-Headers",
                             self.headers.get("Access-Control-Request-Headers", "content-type"))
        self.send_header("Vary", "Origin")

    def do_OPTIONS(self) -> None:
        self.send_response(HTTPStatus.NO_CONTENT)
        self._cors()
        self.end_headers()

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        try:
            body, kind = {"/style.grass": (style, "text/plain"), "/guide.md": (guide, "text/markdown")}[path]
        except KeyError:
            self.send_error(HTTPStatus.NOT_FOUND, "only /style.grass and /guide.md are served here")
            return
        data = body().encode("utf-8")
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        challenge, token = self.headers.get(CHALLENGE_HEADER), getattr(self.server, "token", None)
        if challenge and token:
            self.send_header(PROOF_HEADER, proof(token, challenge[:200]))
        self._cors()
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per asset request is noise in the log


class _Server(ThreadingHTTPServer):
    token: str | None = None


def serve(port: int = PORT, token: str | None = None) -> None:
    """Serve the assets on 127.0.0.1:``port`` until interrupted; ``token`` lets :func:`is_ours` recognise it."""
    with _Server(("127.0.0.1", port), _Handler) as httpd:
        httpd.token = token
        httpd.serve_forever()


def proof(token: str, challenge: str) -> str:
    """What the server started with ``token`` answers to ``challenge``."""
    return hmac.new(token.encode(), challenge.encode(), hashlib.sha256).hexdigest()


def is_ours(port: int, token: str, timeout: float = 1.0) -> bool:
    """True when the server answering on 127.0.0.1:``port`` is the one started with ``token``."""
    challenge = secrets.token_hex(16)
    request = urllib.request.Request(f"http://127.0.0.1:{port}/style.grass", headers={CHALLENGE_HEADER: challenge})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            got = response.headers.get(PROOF_HEADER) or ""
    except (OSError, ValueError):  # nothing there yet, or not HTTP
        return False
    return hmac.compare_digest(got, proof(token, challenge))


def wait_until_ours(port: int, token: str, timeout: float = 10.0) -> None:
    """Wait for the server started with ``token``; raises when it does not answer in time (another
    process may hold the port: then what answers is not ours)."""
    deadline = time.monotonic() + timeout
    while not is_ours(port, token):
        if time.monotonic() > deadline:
            raise LocalServiceError(
                f"the Browser asset server did not answer on 127.0.0.1:{port} within {timeout:.0f}s"
                + ("; something else answers there (`ss -ltnp 'sport = :{port}'` shows what)"
                   if _answers(port) else ""))
        time.sleep(0.1)


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1.0):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False
