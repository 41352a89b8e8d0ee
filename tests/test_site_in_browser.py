"""The built documentation site in a real browser (headless Chromium through Selenium).

Three pages, opened from disk as a reader without internet would: the index, a lecture chapter
and an API page. Each must load without console errors, with every image decoded, its math
typeset by MathJax (no raw `$…$` or `\\(` left in the text) and every link to another page of the
site (or an anchor on the same page) resolving. A screenshot of each goes to
docs/_build/screenshots/.

The site is built by `make -C docs html`. CI builds it beside the tests (its pages run one at a
time, on one core) and names the build's process in JAXLEARN_SITE_BUILD_PID: the test waits for
that process to end before it looks. Without a built site, Chromium or Selenium the test is
skipped, unless JAXLEARN_REQUIRE_SITE=1 (CI) makes that a failure.
"""

import os
import shutil
import time
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "docs" / "_build" / "html"
SCREENSHOTS = ROOT / "docs" / "_build" / "screenshots"
PAGES = {
    "index": ("index.html", False),                                           # (path, must have math)
    "chapter": ("lecture/03_gradient_descent.html", True),
    "api": ("api/generated/jaxlearn.linear.least_squares_loss.html", True),
}
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")


def _wait_for_the_build(timeout=1800.0):
    """Wait while the site build CI started beside the tests (JAXLEARN_SITE_BUILD_PID) still runs."""
    pid = os.environ.get("JAXLEARN_SITE_BUILD_PID")
    if not pid:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(int(pid), 0)            # signal 0: only asks whether the process exists
        except ProcessLookupError:
            return
        time.sleep(2.0)
    pytest.fail(f"the site build (process {pid}, JAXLEARN_SITE_BUILD_PID) still runs after {timeout:.0f} s")


def _missing():
    _wait_for_the_build()
    if not (SITE / "index.html").exists():
        return f"no built site in {SITE} (make -C docs html)"
    if not (CHROMIUM and CHROMEDRIVER):
        return "Chromium and chromedriver are not installed (Debian: apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[docs]')"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = _missing()
    if reason:
        if os.environ.get("JAXLEARN_REQUIRE_SITE") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,1600", "--allow-file-access-from-files"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)   # no driver download
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


# Waits for MathJax's first typesetting (if the page loads MathJax), then reports what a reader sees.
INSPECT = """
const done = arguments[arguments.length - 1];
const typeset = (window.MathJax && MathJax.startup && MathJax.startup.promise) || Promise.resolve();
typeset.then(() => {
  const images = [...document.images].map(img => ({src: img.currentSrc || img.src,
                                                  ok: img.complete && img.naturalWidth > 0}));
  const text = document.querySelector("article") || document.body;
  const prose = text.cloneNode(true);
  prose.querySelectorAll("pre, code, script, style, mjx-container, .highlight").forEach(e => e.remove());
  done({images: images,
        math: document.querySelectorAll("mjx-container").length,
        mathErrors: document.querySelectorAll("mjx-merror").length,
        prose: prose.innerText,
        links: [...document.querySelectorAll("a[href]")].map(a => a.href),
        ids: [...document.querySelectorAll("[id]")].map(e => e.id)});
}, err => done({error: String(err)}));
"""


@pytest.mark.parametrize("name", list(PAGES))
def test_page_in_chromium(browser, name):
    path, needs_math = PAGES[name]
    page = SITE / path
    assert page.exists(), f"{path} is not in the built site"
    browser.get(page.as_uri())
    seen = browser.execute_async_script(INSPECT)
    assert "error" not in seen, f"{path}: MathJax failed: {seen.get('error')}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))

    errors = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, f"{path}: console errors: {errors}"

    broken = [image["src"] for image in seen["images"] if not image["ok"]]
    assert not broken, f"{path}: images that did not load: {broken}"

    if needs_math:
        assert seen["math"] > 0, f"{path}: no MathJax output (mjx-container) on a page with math"
    assert seen["mathErrors"] == 0, f"{path}: {seen['mathErrors']} formulas MathJax could not parse"
    for raw in ("\\(", "\\[", "$$"):
        assert raw not in seen["prose"], f"{path}: raw math {raw!r} left in the text"
    assert not _dollar_math(seen["prose"]), f"{path}: raw $…$ math left: {_dollar_math(seen['prose'])}"

    unresolved = [link for link in seen["links"] if not _resolves(link, page, seen["ids"])]
    assert not unresolved, f"{path}: links that do not resolve: {unresolved}"


def _dollar_math(text):
    """`$x$`-like spans of the prose (a lone $ of a price or a shell variable does not count)."""
    import re
    return re.findall(r"\$[^$\s][^$\n]{0,80}?[^$\s\\]\$", text)


def _resolves(link, page, ids):
    """A link into the site points at a file that exists (and an anchor on this page at an id)."""
    url, fragment = urldefrag(link)
    parsed = urlparse(url)
    if parsed.scheme in ("http", "https", "mailto"):
        return True                         # leaving the site: not followed offline
    if parsed.scheme != "file":
        return False
    target = Path(unquote(parsed.path))
    if target.is_dir():
        target = target / "index.html"
    if not target.exists():
        return False
    return not fragment or target != page or fragment in ids
