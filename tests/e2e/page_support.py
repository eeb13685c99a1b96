"""What the page tests share: Debian's chromium driven by playwright (installed with apt when missing), a page with
axe-core loaded before the page's own script, the check that axe finds no WCAG 2.1 A/AA violation, screenshots under
test-artifacts/, the English a Dutch page never shows, and the keyboard's Tab walk. Besides: a besluit taken through
its stages by people of the organisation register over the API (the letters tests need a verlening that took effect)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.e2e.conftest import ARTIFACTS, REPO
from tests.e2e.grant_bodies import STEPS, take
from tests.support.stages_e2e import DRAFTER, pass_stages_api

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _apt_install() -> str | None:
    """Install Debian's chromium (we run as root); None when it worked, else why not."""
    if shutil.which("apt-get") is None:
        return "apt-get is not available"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "chromium", "fonts-liberation"]
    for attempt in (install, ["apt-get", "update"], install):
        done = subprocess.run(attempt, env=env, capture_output=True, text=True, timeout=900)
        if attempt is install and done.returncode == 0:
            return None
    return f"`{' '.join(install)}` failed: {done.stderr[-500:]}"


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        problem = _apt_install()
        if problem or not CHROMIUM.exists():
            message = f"Debian's chromium is needed for the page test: {problem or 'not installed'}"
            if IN_CI:
                pytest.fail(message)
            pytest.skip(message)
    return CHROMIUM


@pytest.fixture
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def checked(browser):
    """A page with axe-core loaded before the page's own script (as an init script: the page's CSP allows no
    inline script, and needs none of it)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make install` (it runs `npm ci` from package-lock.json)")
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="nl-NL", timezone_id="Europe/Amsterdam")
    context.add_init_script(path=str(AXE))
    try:
        yield context.new_page()
    finally:
        context.close()


def axe(page, state: str) -> None:
    """No WCAG 2.1 A/AA violation on the page as it is now."""
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG)
    found = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}" for v in result["violations"]]
    assert not found, f"axe on {state}:\n" + "\n".join(found)
    assert len(result["passes"]) >= 10, f"axe ran no checks on {state}"


def listed(page, action) -> None:
    """Do `action` and wait until the regions list the API answered for it is shown (the page counts its lists in
    `data-loads`; polled from here: the page's CSP lets no test script be evaluated in it)."""
    def loads() -> int:
        return int(page.get_attribute("#regions", "data-loads") or 0)

    before = loads()
    action()
    for _ in range(1200):  # 60 s: a hang, not a busy machine
        if loads() > before:
            break
        page.wait_for_timeout(50)
    else:
        raise AssertionError("the regions list was not shown again within 60 s")
    page.wait_for_timeout(300)  # a search typed in waits 250 ms before it asks: let a later answer land too
    page.wait_for_selector("#regions-table[aria-busy='false']", state="attached")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"backoffice-{name}.png"), full_page=True)


ENGLISH = ["Input should", "invalid field", "field required", "Field required", "Value error", "correct the fields",
           "must not be blank", "is not a valid", "takes effect on", "before the grant's last event"]


def tab_to(page, predicate: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches `predicate` (a JS expression over `el`)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!(el && ({predicate})); }})()"):
            return
    raise AssertionError(f"Tab never reached {predicate}")


# The interne controle's answers of a verlening that passes (the scheme's checklist: every check holds)
IC_ANSWERS = {"advies_gevolgd": True, "bedrag_juist": True, "iban_juist": True, "beschikking_mag_verzonden": True}


def approved(served, code: str, index: int) -> None:
    """A grant taken to its verlening over the API by people of the organisation register: op.jansen drafts it,
    ic.smit passes the interne controle and co.de-vries signs it (tests/support/stages_e2e.py), on the day of
    the draft."""
    with served.client(served.token("operator", DRAFTER)) as op:
        take(op, code, index, "pre-register", "apply", "accept", "advise", "approve")
    pass_stages_api(served, code, "ApproveGrant", STEPS["approve"])
