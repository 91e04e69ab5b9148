"""The report driven in a real browser: Playwright for Python against the system's Chromium
(Debian's ``chromium`` package; ``.ci/run`` installs it). Skipped, with the reason, where
Chromium or Playwright is missing."""

from __future__ import annotations

import os
import shutil

import pytest

import redline
from redline.reports import write_report
from redline.reports.pages import slug

from tests.reports.report_fixtures import HOSTILE_MODEL

CHROMIUM = os.environ.get("REDLINE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install '.[test]')")
pytestmark = pytest.mark.skipif(not CHROMIUM, reason="no Chromium on this machine (apt-get install chromium)")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
#: recorded before any page script runs: CSP violations and the payloads' side effect
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


IN_VIEW = """id => { const el = document.getElementById(id);
    if (!el || el.offsetParent === null || document.readyState !== 'complete') return false;
    const r = el.getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight; }"""


class Page:
    """A tab that records console errors, page errors, dialogs and every request."""

    def __init__(self, browser):
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.add_init_script(WATCH)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def open(self, url: str):
        self.page.goto(url)
        self.page.wait_for_load_state("load")
        return self.page

    def clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.page.evaluate("window.__csp") == []
        assert self.dialogs == []
        assert all(u.startswith(("file:", "data:", "about:")) for u in self.requests), self.requests

    def in_view(self, element_id: str) -> bool:
        """Whether the element is shown with its top inside the window (waits up to 5 s for it:
        a new page loads, then the report's script routes and scrolls)."""
        try:
            self.page.wait_for_function(IN_VIEW, arg=element_id, timeout=5000)
        except sync_api.TimeoutError:
            return False
        return True


def _write(db, out, **kw):
    con = redline.connect(db, read_only=True)
    try:
        return write_report(con, out, **kw)
    finally:
        con.close()


@pytest.fixture(scope="module")
def single(ordinary_db, tmp_path_factory):
    return _write(ordinary_db, tmp_path_factory.mktemp("single") / "report.html")


@pytest.fixture(scope="module")
def site(ordinary_db, tmp_path_factory):
    return _write(ordinary_db, str(tmp_path_factory.mktemp("site") / "site") + "/")


@pytest.fixture(params=["single", "site"])
def index(request, single, site):
    """The overview page of each form of the same report."""
    return single if request.param == "single" else site


@pytest.fixture(scope="module")
def trials(ordinary_db):
    con = redline.connect(ordinary_db, read_only=True)
    rows = dict(con.execute("SELECT task, trial_id FROM trials").fetchall())
    con.close()
    return rows


def test_overview_draws_its_figures_without_errors(browser, index):
    tab = Page(browser)
    page = tab.open(index.as_uri())
    page.wait_for_selector("[data-figure='categories'] .main-svg")
    for name in ("sankey", "prevalence", "categories"):
        assert page.locator(f"[data-figure='{name}'] .main-svg").count() >= 1, name
    assert page.locator(".card").count() >= 1
    tab.clean()


def test_a_filter_hides_and_shows_trials(browser, single):
    tab = Page(browser)
    page = tab.open(single.as_uri() + "#trials")
    visible = "#trial-table tbody tr:not([hidden])"
    assert page.locator(visible).count() == 3
    page.select_option("select[data-filter='model']", "other/model-b")
    assert page.locator(visible).count() == 2
    assert page.locator("#trial-count").inner_text() == "2 of 3 trials"
    page.select_option("select[data-filter='labels']", "SYS-REBOOT")
    assert page.locator(visible).count() == 1
    page.click("#clear-filters")
    assert page.locator(visible).count() == 3
    page.click("#trial-table th:has-text('actions')")
    page.click("#trial-table th:has-text('actions')")
    first = page.locator("#trial-table tbody tr").first.locator("td").nth(7).inner_text()
    assert first == "4"  # descending: the trial with four actions first
    tab.clean()


def test_a_finding_card_lands_on_its_step(browser, index):
    tab = Page(browser)
    page = tab.open(index.as_uri())
    link = page.locator(".card a.go").first
    target = link.get_attribute("href").split("#", 1)[1]
    link.click()
    assert tab.in_view(target), target
    assert "/step-" in target and page.locator(f"[id='{target}']").get_attribute("class").count("target")
    tab.clean()


def test_search_finds_a_command(browser, index, trials):
    want = f"{slug(trials['web__kill-1'])}/step-3"
    tab = Page(browser)
    page = tab.open(index.as_uri() + "#search")
    page.fill("#search-box", "lsof -t")
    page.wait_for_selector("#search-results li")
    links = page.locator("#search-results li a")
    assert links.count() == 1 and "command" in links.first.inner_text()
    assert links.first.get_attribute("href").endswith("#" + want)
    assert "lsof -t" in page.locator("#search-results mark").first.inner_text()
    links.first.click()
    assert tab.in_view(want)
    tab.clean()


def test_a_pasted_step_link_scrolls_to_the_step(browser, single, site, trials):
    want = f"{slug(trials['web__kill-1'])}/step-4"
    for url in (f"{single.as_uri()}#{want}", f"{site.as_uri()}#{want}",
                f"{(site.parent / 'trials' / (slug(trials['web__kill-1']) + '.html')).as_uri()}#{want}"):
        tab = Page(browser)
        page = tab.open(url)
        page.wait_for_selector("[data-timeline] .main-svg")
        page.wait_for_timeout(200)
        assert tab.in_view(want), url
        tab.clean()


def test_the_labels_index_lists_the_steps_of_a_label(browser, index, trials):
    want = f"{slug(trials['web__kill-1'])}/step-3"
    tab = Page(browser)
    page = tab.open(index.as_uri() + "#labels")
    page.click("#label-index summary .chip:text-is('PROC-KILL')")
    page.wait_for_selector("#label-index details[open] ul.places a")
    link = page.locator("#label-index details[open] ul.places a")
    assert link.count() == 1
    assert link.first.get_attribute("href").endswith(f"#{want}")
    tab.clean()


@pytest.mark.parametrize("form", ["single", "site"])
def test_hostile_transcript_runs_nothing(browser, hostile_db, tmp_path, form):
    out = _write(hostile_db, tmp_path / "r.html" if form == "single" else str(tmp_path / "site") + "/")
    tab = Page(browser)
    page = tab.open(out.as_uri())
    page.wait_for_selector("[data-figure='prevalence'] .main-svg")
    page.fill("#search-box", "window.__pwned")
    page.wait_for_selector("#search-results li")
    page.locator("#search-results li a").first.click()
    page.wait_for_selector("section.trial-page:not([hidden]) [data-timeline] .main-svg")
    page.click("section.trial-page:not([hidden]) details.fold >> nth=0")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("section.trial-page:not([hidden]) dl.trial-facts dd").nth(1).inner_text() == HOSTILE_MODEL
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, "a transcript string widened the page"
    tab.clean()
