import re

from interestgraph import analyst
from neo4j_local import browser_assets


def test_guide_has_a_runnable_slide_per_analyst_query():
    slides = browser_assets.guide().split("\n---\n")
    assert len(slides) == 1 + len(analyst.names())
    for q, slide in zip(analyst.library(), slides[1:], strict=True):
        assert slide.lstrip().startswith(f"## {q.name.replace('_', ' ')}")
        blocks = re.findall(r"```cypher\n(.*?)\n```", slide, flags=re.S)
        params = blocks[0] if q.params else ""
        for p in q.params:  # every parameter gets a value, so the query block runs as it is
            assert re.search(rf"[{{ ]{p.name}: ", params), (q.name, p.name)
        assert blocks[-1].startswith(("MATCH", "CALL", "OPTIONAL MATCH")), q.name


def test_style_covers_every_label_and_interest_band():
    grass = browser_assets.style()
    for label in ("User", "Item", "Category", "Query"):
        assert f"node.{label} {{" in grass
    widths = [int(re.search(rf"relationship\.INTEREST_{b} {{[^}}]*shaft-width: (\d+)px", grass, re.S)[1])
              for b in range(1, 6)]
    assert widths == sorted(widths) and widths[0] < widths[-1]


def test_literals_are_cypher():
    assert browser_assets._literal({"a": "it's", "b": [1, None, True]}) == "{a: 'it\\'s', b: [1, null, true]}"


def test_display_wrapper_rounds_only_float_columns_the_query_returns():
    from neo4j_local.browser_assets import display_columns, for_display

    text = "MATCH (n) RETURN n.id AS user_id, 1.5 AS score, 2 AS shared_items ORDER BY score"
    returns = "user_id, score (cosine), shared_items, sorted by score."
    assert display_columns(returns, text) == ["user_id", "score", "shared_items"]
    shown = for_display(returns, text)
    assert shown.startswith("CALL () {\n  MATCH (n)") and "round(score" in shown and "round(shared_items" not in shown
    assert for_display("user_id.", "RETURN 1 AS user_id") == "RETURN 1 AS user_id"
    assert "<title>" not in browser_assets.guide()


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Impostor:
    """Something else listening on the asset port: it serves a style too, and knows no token."""

    def __init__(self, port):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("X-Interestgraph-Proof", "0" * 64)
                self.end_headers()
                self.wfile.write(b"node { color: red; }")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_only_the_server_started_with_the_token_passes_for_ours():
    import threading

    port, other = free_port(), free_port()
    threading.Thread(target=browser_assets.serve, args=(port, "the-token"), daemon=True).start()
    browser_assets.wait_until_ours(port, "the-token", timeout=10)
    assert browser_assets.is_ours(port, "the-token")
    assert not browser_assets.is_ours(port, "another-token")
    impostor = Impostor(other)
    try:
        assert not browser_assets.is_ours(other, "the-token")
    finally:
        impostor.close()


def test_make_refuses_an_asset_port_held_by_something_else(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    port = free_port()
    impostor = Impostor(port)
    make = ["make", "--no-print-directory", "browser-assets", f"VENV={sys.prefix}", f"BROWSER_ASSETS_PORT={port}"]
    env = {**os.environ, "INTERESTGRAPH_HOME": str(tmp_path)}
    try:
        out = subprocess.run(make, cwd=root, env=env, capture_output=True, text=True, timeout=120)
    finally:
        impostor.close()
        subprocess.run(["make", "--no-print-directory", "browser-assets-stop", f"VENV={sys.prefix}"], cwd=root,
                       env=env, capture_output=True, timeout=60)
    assert out.returncode != 0, out.stdout + out.stderr
    assert "something else answers" in out.stderr
