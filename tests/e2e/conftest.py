"""End-to-end console tests: real headless Chromium (Debian's package) driven by Playwright.

The browser is the system one at /usr/bin/chromium (REVERIE_CHROMIUM overrides):
Playwright never downloads a browser. Each test gets a fresh browser context on
the pytest-django live server and saves screenshots of its steps under
REVERIE_ARTIFACTS (default var/artifacts)/screenshots. Every dialog is recorded
(and confirm() accepted), and any `alert` counts as injected script running.
"""

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import sync_playwright

from memory import identity
from memory.models import Role

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("REVERIE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("REVERIE_ARTIFACTS", ROOT / "var" / "artifacts")) / "screenshots"
# As root in a sandboxed machine with no outside network: no sandbox, no GPU, no calls home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage"]
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def browser(django_db_setup):
    """One browser per test module. Module scope, not session: while Playwright runs, its
    asyncio loop sits on this thread, and Django then takes every ORM call for one made
    from async code. So the loop lives only as long as this module's tests, during
    which DJANGO_ALLOW_ASYNC_UNSAFE says those calls are the test's own, synchronous ones."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"No Chromium at {CHROMIUM}: install Debian's package (apt-get install chromium).")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()


class Screens:
    """Numbered screenshots of one test: var/artifacts/screenshots/<test>/<n>-<step>.png."""

    def __init__(self, page, test_name: str):
        self.page = page
        self.folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", test_name)
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.count = 0

    def __call__(self, step: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.dialogs = []

    def on_dialog(dialog):
        page.dialogs.append((dialog.type, dialog.message))
        dialog.accept()

    page.on("dialog", on_dialog)
    page.errors = []  # uncaught script errors, console errors and failed loads (a 404 favicon included)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda message: page.errors.append(message.text) if message.type == "error" else None)
    page.shot = Screens(page, request.node.name)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        page.shot("failure")
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report


def make_user(username: str, *, workspace=None, role=Role.OPERATOR, superuser=False):
    User = get_user_model()
    if superuser:
        return User.objects.create_superuser(username=username, password=PASSWORD)
    user = User.objects.create_user(username=username, password=PASSWORD)
    if workspace is not None:
        identity.add_member(workspace=workspace, user=user, role=role)
    return user


def sign_in(page, username: str) -> None:
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("text=Sign out")


def assert_no_script_ran(page) -> None:
    """Injected payloads set window.__pwned or call alert(); neither may have happened."""
    assert page.evaluate("window.__pwned === undefined"), "an injected script ran"
    assert not [d for d in page.dialogs if d[0] == "alert"], f"an injected alert ran: {page.dialogs}"
