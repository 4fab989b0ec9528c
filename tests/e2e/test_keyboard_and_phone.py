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


# The deepest elements that stick out past the right edge of the screen: what makes a page scroll sideways.
WIDEST = """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1
  && ![...e.children].some(c => c.getBoundingClientRect().right > innerWidth + 1))
  .slice(0, 4).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ' ' + e.textContent.trim().slice(0, 40))"""


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


@pytest.mark.parametrize("width,height", [(390, 844)])
def test_every_kind_of_page_fits_a_phone(page, transactional_db, width, height):
    from dreams import runner
    from dreams.demo.loader import load_demo
    from dreams.lifecycle import SessionFilter, start_dream
    from dreams.models import Session
    from memory.access import Principal
    from memory.models import Memory, MemoryVersion
    from memory.store import update_memory

    demo = load_demo()
    ws, store_id = demo.workspace.id, demo.store_id
    memory = Memory.objects.get(store_id=store_id, path="/runbooks/deploy.md")
    update_memory(store=memory.store, memory_id=memory.id, actor=Actor(user_id="user_x"),
                  content=bytes(memory.blob.data).decode() + "\nA much longer line " * 20)
    first, second = MemoryVersion.objects.filter(memory_id=memory.id).order_by("seq")
    dream = start_dream(principal=Principal(workspace=demo.workspace, user_id="user_x"), model_id="reverie-offline",
                        store_id=store_id, session_filter=SessionFilter())
    runner.run_dream(dream.id)
    session = Session.objects.filter(workspace=demo.workspace).order_by("-event_count").first()
    make_user("root", superuser=True)
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, "root")
    s = f"/w/{ws}/stores/{store_id}"
    pages = {
        "stores": f"/w/{ws}/", "folder": f"{s}/?prefix=/runbooks/", "memory": f"{s}/memories/{memory.id}",
        "history": f"{s}/memories/{memory.id}/history",
        "compare-side": f"{s}/memories/{memory.id}/compare?a={first.id}&b={second.id}&mode=side",
        "activity": f"{s}/activity", "search": f"{s}/search?q=deploy&content=on", "settings": f"{s}/settings",
        "schedule": f"{s}/schedule", "dream-form": f"{s}/dreams/new", "dreams": f"{s}/dreams/",
        "review": f"{s}/dreams/{dream.id}", "sessions": f"/w/{ws}/sessions/", "transcript": f"/w/{ws}/sessions/{session.id}",
        "agents": f"/w/{ws}/agents/", "grants": f"/w/{ws}/grants/",
    }
    too_wide = {}
    for name, url in pages.items():
        page.goto(url)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 1:
            too_wide[name] = (overflow, page.evaluate(WIDEST))
            page.shot(f"too-wide-{name}")
    page.goto(pages["review"])
    page.shot("review-on-a-phone")
    assert not too_wide, f"pages that scroll sideways at {width}px: {too_wide}"


def test_the_first_tab_offers_to_skip_the_navigation(page, workspace, runbooks):
    make_user("olga", workspace=workspace, role=Role.OPERATOR)
    sign_in(page, "olga")
    page.goto(f"/w/{workspace.id}/stores/{runbooks.id}/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    assert page.evaluate("document.activeElement.getBoundingClientRect().left") >= 0  # visible once focused
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    # The next stop is inside the page's content, past the workspace and store navigation.
    assert page.evaluate("document.activeElement.closest('main') !== null")
