"""What users see, in headless Chromium: the Dagster UI of this code location (asset graph and
the nightly schedule) and the static indicator report (plotly charts and tables render offline).

Screenshots go to artifacts/screenshots/. Skipped only when Debian's chromium or chromedriver is
not installed (`apt-get install -y chromium chromium-driver`); in CI that skip fails the run
(.ci/run installs them; tests/skip_policy.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.report_fixtures import make_indicator_warehouse

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
# Generous limits (a loaded two-core host): every wait ends as soon as its event is there.
SERVER_START_TIMEOUT = 600  # seconds until the webserver must serve the loaded code location
PAGE_TIMEOUT = 300  # a page load, or the texts and charts a test waits for
GRAPHQL_TIMEOUT = 120  # one GraphQL request
STOP_TIMEOUT = 120  # the webserver ending after SIGTERM, before SIGKILL
NUX_TEXT = "Join the Dagster community"  # the community pop-up that setNuxSeen dismisses

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()),
        reason=f"headless browser tests need {CHROMIUM} and {CHROMEDRIVER} "
        "(apt-get install -y chromium chromium-driver)",
    ),
]


# ----------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
        "--window-size=1400,1200",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.set_page_load_timeout(PAGE_TIMEOUT)
        yield driver
    finally:
        driver.quit()


def _wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _body_text(driver: object) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "body").text  # type: ignore[attr-defined]


def _wait_for_texts(driver: object, texts: list[str], what: str) -> str:
    _wait_for(lambda: all(t in _body_text(driver) for t in texts), PAGE_TIMEOUT, what)
    return _body_text(driver)


def _screenshot(driver: object, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    assert driver.save_screenshot(str(path)), f"could not save {path}"  # type: ignore[attr-defined]
    return path


# ----------------------------------------------------------------------------- Dagster UI


@dataclass(frozen=True)
class DagsterUi:
    base_url: str
    location: str  # URL segment of the code location, e.g. "orchestration.definitions"

    def graphql(self, query: str) -> dict:
        return _graphql(self.base_url, query)


def _graphql(base_url: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{base_url}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=GRAPHQL_TIMEOUT) as response:
        return json.loads(response.read())


WORKSPACE_QUERY = """{ workspaceOrError { __typename ... on Workspace { locationEntries {
  name loadStatus locationOrLoadError { __typename
    ... on RepositoryLocation { repositories { name } }
    ... on PythonError { message } } } } } }"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    """Terminate the webserver's process group (webserver and its code server), then kill."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT)
    with contextlib.suppress(ProcessLookupError):  # a code server left behind in the group
        os.killpg(process.pid, signal.SIGKILL)


def _loaded_location(base_url: str, process: subprocess.Popen, log: Path) -> str | None:
    """The URL segment of the loaded code location, None while loading; fails on a load error."""
    if process.poll() is not None:
        raise AssertionError(f"dagster-webserver exited ({process.returncode}):\n{log.read_text()}")
    try:
        data = _graphql(base_url, WORKSPACE_QUERY)["data"]["workspaceOrError"]
    except (urllib.error.URLError, ConnectionError, TimeoutError, KeyError, ValueError):
        return None
    entries = data.get("locationEntries") or []
    if not entries or entries[0]["loadStatus"] != "LOADED":
        return None
    location = entries[0]["locationOrLoadError"]
    if location["__typename"] != "RepositoryLocation":
        raise AssertionError(f"code location failed to load: {location.get('message')}")
    repo = location["repositories"][0]["name"]
    name = entries[0]["name"]
    return name if repo == "__repository__" else f"{repo}@{name}"


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: Path) -> Iterator[DagsterUi]:
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    log = home / "webserver.log"
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    bin_dir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("JEUGDHULP_")}
    env.update(
        DAGSTER_HOME=str(home),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        GX_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
    )
    command = [str(bin_dir / "dagster-webserver"), "-w", "workspace.yaml"]
    command += ["-h", "127.0.0.1", "-p", str(port)]
    with log.open("w") as log_file:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as a whole
        )
    try:
        found: list[str] = []

        def loaded() -> bool:
            location = _loaded_location(base_url, process, log)
            if location:
                found.append(location)
            return bool(location)

        _wait_for(loaded, SERVER_START_TIMEOUT, "dagster-webserver to load the code location")
        ui = DagsterUi(base_url, found[0])
        assert ui.graphql("mutation { setNuxSeen }")["data"]["setNuxSeen"] is True
        assert ui.graphql("{ shouldShowNux }")["data"]["shouldShowNux"] is False
        yield ui
    finally:
        _stop(process)


def test_global_asset_graph_shows_the_layers(browser: object, dagster_ui: DagsterUi) -> None:
    browser.get(f"{dagster_ui.base_url}/asset-groups")  # type: ignore[attr-defined]
    groups = ["landing", "reference", "staging", "intermediate", "marts", "published"]
    text = _wait_for_texts(browser, groups, "the asset groups of the global lineage graph")
    time.sleep(1)  # let the graph finish its layout animation before the screenshot
    _screenshot(browser, "dagster_asset_graph.png")
    assert NUX_TEXT not in text


def test_lineage_of_fct_trajectories_reaches_the_published_warehouse(
    browser: object, dagster_ui: DagsterUi
) -> None:
    # Nearest neighbours of one mart: a small graph whose nodes all fit the window.
    browser.get(f"{dagster_ui.base_url}/assets/marts/fct_trajectories?view=lineage")  # type: ignore[attr-defined]
    text = _wait_for_texts(
        browser,
        ["fct_trajectories", "warehouse", "published"],
        "the lineage graph of fct_trajectories",
    )
    time.sleep(1)
    _screenshot(browser, "dagster_lineage_fct_trajectories.png")
    assert NUX_TEXT not in text


def test_schedule_page_shows_the_nightly_schedule_and_its_cron(
    browser: object, dagster_ui: DagsterUi
) -> None:
    url = f"{dagster_ui.base_url}/locations/{dagster_ui.location}/schedules/nightly_pipeline"
    browser.get(url)  # type: ignore[attr-defined]
    text = _wait_for_texts(
        browser, ["nightly_pipeline", "0 2 * * *", "Europe/Amsterdam"], "the schedule page"
    )
    _screenshot(browser, "dagster_schedule_nightly_pipeline.png")
    assert "jeugdhulp_pipeline" in text
    assert NUX_TEXT not in text


# ----------------------------------------------------------------------------- HTML report


def test_report_renders_plotly_charts_and_tables_offline(browser: object, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    from orchestration.report import build_report

    warehouse = make_indicator_warehouse(tmp_path / "wh.duckdb")
    report = build_report(warehouse, tmp_path / "rapport.html")
    browser.get(report.as_uri())  # type: ignore[attr-defined]

    # Charts are drawn when they come near the viewport: scroll each one into view.
    for div in browser.find_elements(By.CSS_SELECTOR, "div.plotly-graph-div"):  # type: ignore[attr-defined]
        browser.execute_script("arguments[0].scrollIntoView();", div)  # type: ignore[attr-defined]

    def charts_drawn() -> bool:
        divs = browser.find_elements(By.CSS_SELECTOR, "div.plotly-graph-div")  # type: ignore[attr-defined]
        return len(divs) == 4 and all(
            d.find_elements(By.CSS_SELECTOR, "svg.main-svg") for d in divs
        )

    _wait_for(charts_drawn, PAGE_TIMEOUT, "plotly to draw every chart")
    trend = browser.find_element(By.ID, "chart-twente-clients_residential")  # type: ignore[attr-defined]
    assert trend.find_elements(By.CSS_SELECTOR, "g.scatterlayer path.point")
    segments = browser.find_element(By.ID, "chart-twente-start_within_norm")  # type: ignore[attr-defined]
    assert segments.find_elements(By.CSS_SELECTOR, ".updatemenu-container")

    rows = browser.find_elements(By.CSS_SELECTOR, "table.series tbody tr")  # type: ignore[attr-defined]
    assert [r.text.split()[0] for r in rows[:4]] == ["2024", "2023", "2024", "2025"]
    text = _body_text(browser)
    assert "1 maart 2025" in text
    assert "onderdrukt" in text
    assert "voorlopig" in text

    errors = [
        e
        for e in browser.get_log("browser")  # type: ignore[attr-defined]
        if e["level"] == "SEVERE"
    ]
    assert not errors, errors
    browser.execute_script("window.scrollTo(0, 0);")  # type: ignore[attr-defined]
    height = browser.execute_script("return document.body.scrollHeight")  # type: ignore[attr-defined]
    browser.set_window_size(1400, min(int(height) + 100, 8000))  # type: ignore[attr-defined]
    _screenshot(browser, "report_indicators.png")
    browser.set_window_size(1400, 1200)  # type: ignore[attr-defined]
