"""Sign in, browse folders, open a memory, and edit it into a conflict, in a real browser."""

import pytest

from memory import stores
from memory.access import Actor
from memory.models import Memory, Role
from memory.store import create_memory, update_memory
from tests.e2e.conftest import make_user, sign_in


@pytest.fixture
def runbooks(workspace):
    store = stores.create_store(workspace=workspace, name="runbooks")
    actor = Actor(user_id="user_seed")
    create_memory(store=store, path="/services/search/restart.md", actor=actor,
                  content="# Restart search\n\nDrain the node, then restart with `systemctl restart search`.\n")
    create_memory(store=store, path="/services/payments.md", actor=actor, content="# Payments\n")
    create_memory(store=store, path="/README.md", actor=actor, content="Start here.\n")
    return store


def test_an_operator_signs_in_and_browses_a_folder(page, workspace, runbooks):
    make_user("olga", workspace=workspace, role=Role.OPERATOR)
    sign_in(page, "olga")
    page.shot("signed-in")
    page.get_by_role("link", name="runbooks").click()
    page.get_by_role("link", name="services/").click()
    page.wait_for_url("**prefix=%2Fservices%2F**")  # htmx swapped the listing and pushed the URL
    page.get_by_role("link", name="search/").click()
    page.get_by_role("link", name="restart.md").click()
    page.shot("memory-page")
    assert page.locator("h1.path").inner_text() == "/services/search/restart.md"
    assert page.locator(".markdown h1").inner_text() == "Restart search"
    # The breadcrumbs lead back up.
    page.locator("nav.crumbs").get_by_role("link", name="services").click()
    page.wait_for_selector("text=payments.md")
    assert not page.errors


def test_an_edit_that_someone_overtook_becomes_a_conflict_and_a_merge(page, workspace, runbooks):
    make_user("olga", workspace=workspace, role=Role.OPERATOR)
    memory = Memory.objects.get(store=runbooks, path="/services/search/restart.md")
    sign_in(page, "olga")
    page.goto(f"/w/{workspace.id}/stores/{runbooks.id}/memories/{memory.id}/edit")
    page.get_by_label("Content").fill("# Restart search\n\nDrain the node first, then restart it.\n")
    # Meanwhile an agent writes the same memory.
    update_memory(store=runbooks, memory_id=memory.id, actor=Actor(user_id="user_agent"),
                  content="# Restart search\n\nRestart with `systemctl restart search-v2`.\n")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=Someone else changed")
    page.shot("conflict")
    assert page.locator("table.diff ins").count() > 0 and page.locator("table.diff del").count() > 0
    memory.refresh_from_db()
    assert "search-v2" in bytes(memory.blob.data).decode()  # nothing was overwritten
    page.get_by_label("Merged text").fill("# Restart search\n\nDrain the node, then `systemctl restart search-v2`.\n")
    page.get_by_role("button", name="Save the merged text").click()
    page.wait_for_selector("text=Saved")
    page.shot("merged")
    memory.refresh_from_db()
    assert bytes(memory.blob.data).decode() == "# Restart search\n\nDrain the node, then `systemctl restart search-v2`.\n"
