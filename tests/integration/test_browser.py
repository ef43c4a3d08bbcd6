"""Neo4j Browser in a real headless Chromium: the page comes from the local Neo4j, connects over
Bolt, applies the project's style and guide on connect (neo4j.conf's browser.post_connect_cmd,
assets from `make browser-assets`), runs analyst queries, and a screenshot is kept."""

from __future__ import annotations

import shutil
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ingest.pipeline import sync_records
from ingest.writer import GraphWriter
from interestgraph import analyst
from interestgraph import cypher_registry as cypher
from neo4j_local import browser_assets
from neo4j_local.browser_assets import for_display
from tests.waiting import wait_until

try:
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement
except ImportError as e:  # a failure, never a skip: this test must run in CI
    raise ImportError(f"selenium is missing ({e}): it comes with the dev extras, `make venv` installs them") from e

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
BROWSER_URL = "http://localhost:7474/browser/?dbms=bolt://localhost:7687"
DAY = 86_400_000
T0 = 1_793_000_000_000 - 1_793_000_000_000 % DAY + 12 * 3_600_000


@pytest.fixture(scope="module")
def chrome(settings, tmp_path_factory) -> Iterator[WebDriver]:
    for tool in (CHROMIUM, CHROMEDRIVER):
        assert Path(tool).exists(), f"{tool} is missing: `make chromium` installs Debian's chromium and chromium-driver"
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    # A closed network: nothing phones home, no GPU, a fresh profile each run.
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-quic", "--disable-default-apps", "--disable-extensions", "--window-size=1600,1000",
                 f"--user-data-dir={profile}"):
        opts.add_argument(flag)
    # An explicit driver path: Selenium Manager never tries to download one.
    drv = webdriver.Chrome(options=opts, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    try:
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(what: str, probe: Callable[[], Any], timeout: float = 60.0) -> Any:
    # A probe that raises (the DOM is still changing) has simply not succeeded yet.
    return wait_until(probe, timeout, what, every=0.25, ignore=(Exception,))


def run_in_editor(chrome: WebDriver, command: str) -> WebElement:
    """Type a command into the main editor, run it, and return the frame it opened."""
    before = len(chrome.find_elements(By.CSS_SELECTOR, '[data-testid="frame"]'))
    chrome.find_element(By.CSS_SELECTOR, "#monaco-main-editor").click()
    chrome.find_element(By.CSS_SELECTOR, '[data-testid="activeEditor"] textarea').send_keys(command)
    chrome.find_element(By.CSS_SELECTOR, '[data-testid="editor-Run"]').click()
    wait_for(f"a frame for {command[:40]!r}",
             lambda: len(chrome.find_elements(By.CSS_SELECTOR, '[data-testid="frame"]')) > before)
    return chrome.find_elements(By.CSS_SELECTOR, '[data-testid="frame"]')[0]  # newest first


def test_browser_connects_styles_guides_and_runs_an_analyst_query(chrome, driver, settings, tmp_path):
    with urllib.request.urlopen(browser_assets.STYLE_URL, timeout=5) as r:
        assert r.status == 200, "the asset server is not running: `make browser-assets`"
    p = f"t{uuid.uuid4().hex[:10]}-"
    recs = [{"event_id": f"{p}{n}", "user_id": f"{p}shopper", "type": kind, "ts": T0 + n * 60_000,
             "item_id": f"{p}{item}", "item": {"title": f"{item} title", "category": f"{p}{cat}"}}
            for n, (kind, item, cat) in enumerate([("purchase", "shoe", "sports"), ("view", "ball", "sports"),
                                                   ("view", "novel", "books")])]
    sync_records("t", recs, GraphWriter(driver, settings), tmp_path / "d.jsonl", progress=False)

    chrome.get(BROWSER_URL)
    def fill_connect_form() -> bool:
        # The form is in the DOM before it accepts input (it renders, then enables): retry until it does.
        user = chrome.find_element(By.CSS_SELECTOR, 'input[data-testid="username"]')
        password = chrome.find_element(By.CSS_SELECTOR, 'input[data-testid="password"]')
        if not (user.is_displayed() and user.is_enabled() and password.is_enabled()):
            return False
        user.clear()
        user.send_keys(settings.neo4j_user)
        password.clear()
        password.send_keys(settings.neo4j_password.get_secret_value())
        return True

    wait_for("the connect form", fill_connect_form)
    chrome.find_element(By.CSS_SELECTOR, 'button[data-testid="connect"]').click()

    # post_connect_cmd: the guide opens in the sidebar and the style lands in a :style frame.
    wait_for("the analyst guide", lambda: "the analyst's tour" in chrome.find_element(By.TAG_NAME, "body").text)
    assert "<title>" not in chrome.find_element(By.TAG_NAME, "body").text  # the first slide shows no markup
    wait_for("the :style frame", lambda: any(
        "node.Category" in f.text for f in chrome.find_elements(By.CSS_SELECTOR, '[data-testid="frame"]')))

    # One analyst query, as an analyst runs it: parameters, then the library's statement.
    run_in_editor(chrome, f":param user_id => '{p}shopper'")
    # The guide's statement (rounded for display), on one line: Enter would run it early.
    profile = analyst.describe("interest_profile")
    query = " ".join(for_display(profile.returns, cypher.statement_text(profile.qualified)).split())
    run_in_editor(chrome, ":param k => 10")
    run_in_editor(chrome, ":param half_life_ms => 1209600000.0")
    frame = run_in_editor(chrome, query)
    table = wait_for("the result table", lambda: _table_rows(frame))
    # Browser's table: a row-number column, then the query's columns; strings are quoted.
    assert table[0][1:] == ["category", "name", "weight", "weight_now", "share", "events", "updated_at"]
    assert [row[1] for row in table[1:]] == [f'"{p}sports"', f'"{p}books"']
    weight = 8.0 * 2 ** (-60_000 / settings.half_life_ms) + 1.0  # the purchase, decayed to the view
    assert float(table[1][3]) == pytest.approx(weight, rel=5e-4) and len(table[1][3].replace(".", "")) <= 4
    assert float(table[1][5]) + float(table[2][5]) == pytest.approx(1.0, rel=1e-3)
    assert table[1][6] == "2"
    shot = settings.home / "browser" / "screenshot.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    assert chrome.save_screenshot(str(shot))

    # The interest map draws with the project's style: users blue, categories cyan.
    frame = run_in_editor(chrome, " ".join(cypher.statement_text("analyst/interest_map").split()))
    fills = wait_for("the graph view", lambda: {c.get_attribute("fill") for c in frame.find_elements(
        By.CSS_SELECTOR, "g.node circle.b-outline")} or None)
    assert {"#4C8EDA", "#57C7E3"} <= {f.upper() for f in fills if f}
    assert frame.find_elements(By.XPATH, ".//*[local-name()='text' and text()='INTEREST_5']")
    assert chrome.save_screenshot(str(shot.with_name("interest_map.png")))
    assert shot.stat().st_size > 10_000


def _table_rows(frame: WebElement) -> list[list[str]] | None:
    rows = frame.find_elements(By.CSS_SELECTOR, "table tr")
    if len(rows) < 2:
        return None
    out = [[c.text.strip() for c in r.find_elements(By.CSS_SELECTOR, "th, td")] for r in rows]
    # Browser renders the header's cells after the rows exist: wait until the column names are in.
    return out if all(out) and all(out[0][1:]) else None
