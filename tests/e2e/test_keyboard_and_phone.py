"""The console works with the keyboard alone and fits a phone screen."""

import pytest

from memory import stores
from memory.access import Actor
from memory.models import Role
from memory.store import create_memory
from tests.e2e.conftest import PASSWORD, make_user, sign_in


@pytest.fixture
def runbooks(workspace):
    store = stores.create_store(workspace=workspace, name="runbooks")
    actor = Actor(user_id="user_seed")
    create_memory(store=store, path="/services/search/restart-the-search-cluster-without-dropping-queries.md",
                  actor=actor, content="# Restart\n\n" + "A long line without breaks " * 40 + "\n")
    create_memory(store=store, path="/README.md", actor=actor, content="Start here.\n")
    return store


def tab_to(page, text: str, limit: int = 60) -> None:
    """Press Tab until the focused element's text is `text`."""
    page.wait_for_load_state()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.textContent.trim()") == text:
            return
    raise AssertionError(f"Tab never reached {text!r}")


def test_an_operator_signs_in_and_opens_a_memory_with_the_keyboard_alone(page, workspace, runbooks):
    make_user("olga", workspace=workspace, role=Role.OPERATOR)
    page.goto("/")
    page.keyboard.press("Tab")  # skip past the brand link to the first field
    while page.evaluate("document.activeElement.name") != "username":
        page.keyboard.press("Tab")
    page.keyboard.type("olga")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Sign out")
    tab_to(page, "runbooks")
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('runbooks')")
    tab_to(page, "services/")
    page.keyboard.press("Enter")
    page.wait_for_url("**prefix=%2Fservices%2F**")
    tab_to(page, "search/")
    page.keyboard.press("Enter")
    page.wait_for_url("**prefix=%2Fservices%2Fsearch%2F**")
    tab_to(page, "restart-the-search-cluster-without-dropping-queries.md")
    page.keyboard.press("Enter")
    page.wait_for_selector("h1.path")
    # Focus is visible: the focused element gets an outline.
    tab_to(page, "Edit")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.shot("keyboard")


@pytest.mark.parametrize("width,height", [(390, 844), (1366, 768)])
def test_pages_fit_the_screen_without_sideways_scrolling(page, workspace, runbooks, width, height):
    make_user("olga", workspace=workspace, role=Role.OPERATOR)
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, "olga")
    memory = runbooks.memories.get(path__startswith="/services/")
    for url in [f"/w/{workspace.id}/", f"/w/{workspace.id}/stores/{runbooks.id}/?prefix=/services/search/",
                f"/w/{workspace.id}/stores/{runbooks.id}/memories/{memory.id}"]:
        page.goto(url)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{url} scrolls sideways by {overflow}px at {width}px"
    page.shot(f"memory-{width}px")
