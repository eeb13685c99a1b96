"""The back-office page in headless Chromium (Debian's `chromium`, driven by playwright without its own browser
download): an operator signs in with a token, opens a grant from the regions overview, clicks one transition,
fills its form, and sees the new state; a screenshot is kept under test-artifacts/."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.grant_bodies import take

pytestmark = [pytest.mark.temporal, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
CODE = "STO-E2E-PAGE"


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


def test_an_operator_clicks_accept_on_the_page_and_sees_the_grant_under_assessment(served, browser):
    token = served.token("operator", "op.page")
    with served.client(token) as op:
        take(op, CODE, 31, "pre-register", "apply")

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(served.base_url + "/")
    page.fill("#token", token)
    page.click("#sign-in-form button")
    page.click(f"#regions-rows a[href='#/grants/{CODE}']")
    page.wait_for_selector("#grant-status:text('application_submitted')")
    buttons = page.locator("#transition-buttons button").all_inner_texts()
    assert buttons == ["request-repair", "accept", "reject", "withdraw"]

    page.click("#transition-buttons button[data-transition='accept']")
    page.fill("#accept-reason", "aanvraag compleet")
    page.fill("#accept-effective_at", "2019-04-01T10:00:00+02:00")
    page.click("form.transition button.send")
    page.wait_for_selector("#grant-status:text('under_assessment')")

    assert page.inner_text("#grant-version") == "3"
    assert page.locator("#transition-buttons button").all_inner_texts() == ["advise", "reject", "withdraw"]
    assert "ApplicationAccepted" in page.inner_text("#notice")
    timeline = page.locator("#timeline-rows tr").all_inner_texts()
    assert "ApplicationAccepted" in timeline[-1] and "op.page (operator)" in timeline[-1]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "backoffice-grant.png"), full_page=True)
    assert page.evaluate("sessionStorage.getItem('sto.token')") == token


def test_a_region_signed_in_on_the_page_sees_its_own_grant_and_no_buttons(served, browser):
    with served.client(served.token("operator", "op.page")) as op:
        take(op, "STO-E2E-PAGE-R", 32, "pre-register")
    page = browser.new_page()
    page.goto(served.base_url + "/")
    page.fill("#token", served.token("region", "penvoerder page", "STO-E2E-PAGE-R"))
    page.click("#sign-in-form button")
    page.wait_for_selector("#grant-status:text('pre_registered')")
    assert page.is_hidden("#transitions") and page.is_hidden("#timeline")
    page.click("#sign-out")
    page.wait_for_selector("#sign-in:not([hidden])")
    assert page.evaluate("sessionStorage.getItem('sto.token')") is None


@pytest.mark.parametrize("path, rendered", [("/docs", ".opblock"), ("/redoc", "[data-section-id]")])
def test_the_api_documentation_renders_without_internet(served, browser, path, rendered):
    """Every request that would leave the machine is refused; the page still lists the endpoints.

    (ReDoc's bundle links its own logo on a CDN: a missing image, nothing the page needs.)"""
    outside: list[str] = []
    page = browser.new_page()

    def only_local(route):
        if route.request.url.startswith(served.base_url):
            route.continue_()
        else:
            if route.request.resource_type != "image":
                outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(served.base_url + path)
    page.wait_for_selector(rendered, timeout=20_000)
    assert page.locator(rendered).count() >= 10
    assert outside == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"api{path.replace('/', '-')}.png"))
