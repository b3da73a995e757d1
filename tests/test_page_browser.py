"""The interactive page in a real headless Chromium: clicking a status, hovering a move, searching,
and switching to the observed view, for ModelArts v1 and v2.

The distribution's Chromium and its chromedriver (`make chromium`) are driven through Selenium,
given both paths so that Selenium Manager never looks for a browser on the network. Each test
saves a screenshot under build/test-artifacts/."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from conftest import unavailable
from test_diagram import write_log

from jobfsm.cli import EXIT_OK, main
from jobfsm.diagram import Diagram, EdgeStyle, extract
from jobfsm.lifecycle import Lifecycle
from jobfsm.lifecycles import get_lifecycle

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parent.parent / "build" / "test-artifacts"
INSTALL = "apt-get install chromium chromium-driver (make chromium)"


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    """One headless Chromium for the module: required in CI, skipped with a hint elsewhere."""
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        unavailable("selenium is not installed; run: pip install -e '.[dev]'")
    if shutil.which("dot") is None:
        unavailable("the page needs the Graphviz dot executable: apt-get install graphviz")
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not os.access(binary, os.X_OK):
            unavailable(f"{binary} is missing: {INSTALL}")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    # --no-sandbox: Chromium's sandbox refuses to run as root, which CI is.
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1600,1000",
    ):
        options.add_argument(argument)
    try:
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    except WebDriverException as exc:
        unavailable(f"cannot start {CHROMIUM} through {CHROMEDRIVER}: {exc.msg}; {INSTALL}")
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


@dataclass(frozen=True)
class Case:
    """What one lifecycle's page is asked: a status to click, a move to hover, texts to find."""

    lifecycle: str
    click: str
    hover: tuple[str, str]
    #: (typed, the status found, why it matches)
    finds: tuple[tuple[str, str, str], ...]
    #: typed texts that find no status
    misses: tuple[str, ...]
    #: a log: (job, status) rows, in time order per job
    log: tuple[tuple[str, str], ...]
    undeclared: tuple[str, str]


CASES = [
    Case(
        "modelarts-v1",
        click="RUNNING",
        hover=("WAITING", "RUNNING"),
        finds=(
            ("running", "RUNNING", "name"),
            ("7", "WAITING", "code 7"),
            ("DEPLOYING", "WAITING", "alias DEPLOYING"),
            ("jobstat_killed", "KILLED", "API name JOBSTAT_KILLED"),
        ),
        misses=("99", "NOPE"),
        log=(
            ("a", "WAITING"),
            ("a", "RUNNING"),
            ("a", "WAITING"),
            ("b", "WAITING"),
            ("b", "RUNNING"),
            ("b", "COMPLETED"),
        ),
        undeclared=("RUNNING", "WAITING"),
    ),
    Case(
        "modelarts-v2",
        click="Running",
        hover=("Pending", "Running"),
        finds=(
            ("Running", "Running", "name"),
            ("Waiting", "Pending", "alias Waiting"),
            ("stopped", "Terminated", "alias Stopped"),
        ),
        # v2's codes are internal: a number finds nothing.
        misses=("2",),
        log=(
            ("a", "Pending"),
            ("a", "Running"),
            ("a", "Pending"),
            ("b", "Pending"),
            ("b", "Running"),
            ("b", "Completed"),
        ),
        undeclared=("Running", "Pending"),
    ),
]


def open_page(driver: WebDriver, path: Path) -> None:
    driver.get(path.as_uri())
    assert driver.execute_script("return document.body.dataset.ready") == "true"


def make_page(tmp_path: Path, case: Case, *extra: str) -> Path:
    out = tmp_path / f"{case.lifecycle}.html"
    assert main(["render", "--lifecycle", case.lifecycle, "--out", str(out), *extra]) == EXIT_OK
    return out


def classes(driver: WebDriver, selector: str) -> dict[str, set[str]]:
    """The classes of each element matching ``selector``, by id."""
    found: dict[str, list[str]] = driver.execute_script(
        "return Object.fromEntries([...document.querySelectorAll(arguments[0])]"
        ".map((e) => [e.id, [...e.classList]]))",
        selector,
    )
    return {key: set(value) for key, value in found.items()}


def touches(diagram: Diagram, status: str) -> set[int]:
    """The edges that stand for a move out of or into ``status``: its own arrows, and the grouped
    arrows that list it."""
    return {
        j
        for j, e in enumerate(diagram.edges)
        if status in (e.source, e.target) or any(status in (a.name, b.name) for a, b in e.covers)
    }


def edge_index(diagram: Diagram, source: str, target: str) -> int:
    return next(j for j, e in enumerate(diagram.edges) if (e.source, e.target) == (source, target))


def hover(driver: WebDriver, element: WebElement) -> WebElement:
    """Point at ``element``; return the card then shown."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    ActionChains(driver).move_to_element(element).perform()
    card = driver.find_element(By.ID, "jf-card")
    assert card.is_displayed()
    return card


def type_into_search(driver: WebDriver, text: str) -> list[tuple[str, str]]:
    """Type ``text`` into the search box (replacing what it held); return the results shown, as
    (status, why it matches)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element(By.ID, "jf-search")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.BACKSPACE)
    box.send_keys(text)
    shown: list[list[str]] = driver.execute_script(
        "return [...document.querySelectorAll('#jf-results button')]"
        ".map((b) => [b.dataset.status, b.querySelector('small').textContent])"
    )
    return [(status, why) for status, why in shown]


def screenshot(driver: WebDriver, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(ARTIFACTS / name))


def nothing_loaded(driver: WebDriver) -> bool:
    """True when the page fetched no resource at all (no script, style, font or image)."""
    entries: list[Any] = driver.execute_script(
        "return performance.getEntriesByType('resource').map((e) => e.name)"
    )
    return entries == []


@pytest.mark.parametrize("case", CASES, ids=[c.lifecycle for c in CASES])
def test_click_hover_and_search(browser: WebDriver, tmp_path: Path, case: Case) -> None:
    """Clicking a status highlights exactly the moves out of and into it and dims the rest;
    hovering a move shows its event, reason and source; the search box finds statuses by name,
    code (v1 only) and alias, and selects what it finds exactly."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    lc: Lifecycle = get_lifecycle(case.lifecycle)
    diagram = extract(lc)
    open_page(browser, make_page(tmp_path, case))
    assert nothing_loaded(browser)
    node_of = {n.id: i for i, n in enumerate(diagram.nodes)}

    browser.find_element(By.ID, f"declared_jf_node_{node_of[case.click]}").click()
    edges = classes(browser, "#jf-view-declared g.edge[id*='_jf_']")
    lit = {int(key.rsplit("_", 1)[1]) for key, cls in edges.items() if "jf-hl" in cls}
    dim = {int(key.rsplit("_", 1)[1]) for key, cls in edges.items() if "jf-dim" in cls}
    assert lit == touches(diagram, case.click)
    assert dim == set(range(len(diagram.edges))) - lit
    # Every declared move out of or into the status is one of the highlighted arrows.
    declared = {
        (e.source, e.target) for e in lc.edges if lc.parse(case.click) in (e.source, e.target)
    }
    assert declared <= {pair for j in lit for pair in diagram.edges[j].covers}
    nodes = classes(browser, "#jf-view-declared g.node[id*='_jf_']")
    assert nodes[f"declared_jf_node_{node_of[case.click]}"] >= {"jf-selected"}
    far = next(j for j in range(len(diagram.edges)) if j not in lit)
    opacity = browser.execute_script(
        "return getComputedStyle(document.getElementById(arguments[0])).opacity",
        f"declared_jf_edge_{far}",
    )
    assert float(opacity) < 0.5
    label = browser.find_element(By.CSS_SELECTOR, "#jf-status h2").text
    assert label == str(lc.parse(case.click))

    j = edge_index(diagram, *case.hover)
    move = next(e for e in lc.edges if (e.source.name, e.target.name) == case.hover)
    card = hover(browser, browser.find_element(By.CSS_SELECTOR, f"#declared_jf_edge_{j} text"))
    assert card.find_element(By.TAG_NAME, "h4").text == " → ".join(case.hover)
    assert card.find_element(By.CLASS_NAME, "jf-event").text == move.event
    assert card.find_element(By.CLASS_NAME, "jf-reason").text == move.reason
    source = card.find_element(By.CLASS_NAME, "jf-source").text
    assert source == (move.cite or "none cited (a judgment call)")
    screenshot(browser, f"page-{case.lifecycle}.png")

    for text, status, why in case.finds:
        shown = type_into_search(browser, text)
        assert shown[0] == (status, why), (text, shown)
        assert browser.find_element(By.CSS_SELECTOR, "#jf-status h2").text == str(lc.parse(status))
        found = classes(browser, "#jf-view-declared g.node.jf-found")
        assert f"declared_jf_node_{node_of[status]}" in found
    for text in case.misses:
        assert type_into_search(browser, text) == []
    # Escape clears the selection: nothing is dimmed.
    type_into_search(browser, "")
    browser.find_element(By.ID, "jf-search").send_keys(Keys.ESCAPE)
    assert classes(browser, "#jf-view-declared .jf-dim") == {}


@pytest.mark.parametrize("case", CASES, ids=[c.lifecycle for c in CASES])
def test_the_observed_view_and_the_toggle(browser: WebDriver, tmp_path: Path, case: Case) -> None:
    """A page built with --log opens on the observed view: counts on the moves, the undeclared
    move red with its count; the toggle shows the declared view and back."""
    from selenium.webdriver.common.by import By

    lc = get_lifecycle(case.lifecycle)
    rows = [(job, status, float(t)) for t, (job, status) in enumerate(case.log)]
    log = write_log(tmp_path / "seen.jsonl", *rows)
    open_page(browser, make_page(tmp_path, case, "--log", str(log)))
    assert nothing_loaded(browser)
    declared = browser.find_element(By.ID, "jf-view-declared")
    observed = browser.find_element(By.ID, "jf-view-observed")
    assert observed.is_displayed()
    assert not declared.is_displayed()

    moves: dict[tuple[str, str], int] = {}
    for (job, a), (other, b) in zip(case.log, case.log[1:], strict=False):
        if job == other:
            moves[(a, b)] = moves.get((a, b), 0) + 1
    diagram = extract(lc, traffic=moves)
    bad = edge_index(diagram, *case.undeclared)
    assert diagram.edges[bad].style is EdgeStyle.UNDECLARED
    stroke = browser.find_element(By.CSS_SELECTOR, f"#observed_jf_edge_{bad} path:not(.jf-hit)")
    assert stroke.get_attribute("stroke") == "#dc2626"
    card = hover(browser, browser.find_element(By.CSS_SELECTOR, f"#observed_jf_edge_{bad} text"))
    assert card.find_element(By.CLASS_NAME, "jf-undeclared").is_displayed()
    assert card.find_element(By.CLASS_NAME, "jf-count").text == f"×{moves[case.undeclared]}"
    start = edge_index(diagram, *case.hover)
    card = hover(browser, browser.find_element(By.CSS_SELECTOR, f"#observed_jf_edge_{start} text"))
    assert card.find_element(By.CLASS_NAME, "jf-count").text == f"×{moves[case.hover]}"
    clicked = [n.id for n in diagram.nodes].index(case.click)
    browser.find_element(By.ID, f"observed_jf_node_{clicked}").click()
    listed = browser.find_element(By.ID, "jf-status").text
    assert f"{' → '.join(case.undeclared)} ×{moves[case.undeclared]} (undeclared)" in listed
    screenshot(browser, f"page-{case.lifecycle}-observed.png")

    browser.find_element(By.CSS_SELECTOR, 'input[name="jf-view"][value="declared"]').click()
    assert declared.is_displayed()
    assert not observed.is_displayed()
    # The selection holds in the view switched to.
    assert classes(browser, "#jf-view-declared g.node.jf-selected")
    browser.find_element(By.CSS_SELECTOR, 'input[name="jf-view"][value="observed"]').click()
    assert observed.is_displayed()
    assert not declared.is_displayed()
