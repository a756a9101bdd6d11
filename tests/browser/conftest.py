"""Browser journeys in Debian's Chromium, driven by Playwright, with axe-core accessibility checks.

Every page runs under the service's real Content-Security-Policy: a journey fails if the browser
refuses anything a page asks for (an inline script or style, a resource from elsewhere).

Playwright's sync API runs an event loop in this thread, and the test's database set-up runs in the
same thread: Django would refuse that as "async unsafe", so it is allowed for these tests only.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import ConsoleMessage, Page, sync_playwright

# The small registry with real geography that the matching journeys use.
from matching.tests.conftest import areas, registry  # noqa: F401

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
AXE_SCRIPT = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
AXE_SOURCE = AXE_SCRIPT.read_text() + "\n;undefined"
# WCAG 2.2 AA includes every A and AA rule of 2.0 and 2.1.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
PASSWORD = "correct horse battery staple"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                # Without these Chromium tries to reach Google's hosts, which this network refuses.
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: _note_csp_violation(message, errors))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def new_page(browser, live_server):
    """Open another signed-in browser (its own context, so its own session), as a second or third user.

    Like the `page` fixture, the test fails if any page opened this way throws a JavaScript error.
    """
    contexts = []
    errors: list[str] = []

    def open_page(username: str | None = None) -> Page:
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("pageerror", lambda error: errors.append(f"{username or 'anonymous'}: {error}"))
        page.on("console", lambda message: _note_csp_violation(message, errors))
        if username is not None:
            sign_in(page, username)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def _note_csp_violation(message: ConsoleMessage, errors: list[str]) -> None:
    # Chromium reports every refusal by the Content-Security-Policy as a console error.
    if message.type == "error" and "Content Security Policy" in message.text:
        errors.append(f"{message.page.url if message.page else ''}: {message.text}")


def assert_accessible(page: Page) -> None:
    """axe-core finds no WCAG 2.2 A or AA violation on the page as it is now."""
    # Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
    # govern; an added <script> tag would be inline script, which the policy refuses.
    page.evaluate(AXE_SOURCE)
    results = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    problems = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results["violations"]
    ]
    assert not problems, f"Accessibility violations on {page.url}:\n" + "\n".join(problems)


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
