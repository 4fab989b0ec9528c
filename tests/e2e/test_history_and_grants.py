"""Compare two versions of a memory and restore one; change a grant in place. Real browser clicks."""

import pytest

from memory import identity, stores
from memory.access import Actor
from memory.blobs import read_blob
from memory.models import Access, Grant, Memory, MemoryVersion, Role
from memory.store import create_memory, update_memory
from tests.e2e.conftest import make_user, sign_in


@pytest.fixture
def runbook(workspace):
    store = stores.create_store(workspace=workspace, name="runbooks")
    agent = identity.create_agent(workspace=workspace, name="sre-search")
    key = identity.issue_api_key(workspace=workspace, name="search key", agent=agent).key
    memory = create_memory(store=store, path="/deploy.md", actor=Actor(api_key_id=key.id),
                           content="# Deploy\n\nDeploy with `deployctl push --region all`.\nWatch the canary.\n")
    update_memory(store=store, memory_id=memory.id, actor=Actor(api_key_id=key.id),
                  content="# Deploy\n\nDeploy with `deployctl push --all-regions`.\nWatch the canary.\n")
    update_memory(store=store, memory_id=memory.id, actor=Actor(user_id="user_someone"),
                  content="# Deploy\n\nDeploy with `deployctl push --all-regions`.\nWatch the canary for 10 minutes.\n")
    return store, memory


def test_an_operator_compares_two_versions_and_restores_the_first(page, workspace, runbook):
    store, memory = runbook
    make_user("olga", workspace=workspace, role=Role.OPERATOR)
    first, _, latest = MemoryVersion.objects.filter(memory_id=memory.id).order_by("seq")
    sign_in(page, "olga")
    page.goto(f"/w/{workspace.id}/stores/{store.id}/memories/{memory.id}")
    page.get_by_role("link", name="History").click()
    page.wait_for_selector("text=sre-search")  # who wrote each version
    page.shot("history")
    page.get_by_label(f"Compare from version {first.id}").check()
    page.get_by_label(f"Compare to version {latest.id}").check()
    page.get_by_role("button", name="Compare selected").click()
    page.wait_for_selector("table.diff")
    page.shot("compare-inline")
    # Word-level: only the words that changed are marked, not whole lines.
    inserted = " ".join(page.locator("table.diff ins").all_inner_texts())
    deleted = " ".join(page.locator("table.diff del").all_inner_texts())
    assert "regions" in inserted and "10 minutes" in inserted and "canary" not in inserted
    assert "region" in deleted and "Deploy" not in deleted
    page.get_by_role("link", name="Side by side").click()
    page.wait_for_selector("table.diff-side")
    page.shot("compare-side-by-side")

    page.goto(f"/w/{workspace.id}/stores/{store.id}/memories/{memory.id}/versions/{first.id}")
    page.get_by_role("button", name="Restore this content").click()
    page.wait_for_selector("text=Restored the content")
    page.shot("restored")
    memory = Memory.objects.select_related("blob").get(pk=memory.pk)
    assert "--region all" in read_blob(memory.blob)
    assert MemoryVersion.objects.filter(memory_id=memory.id).count() == 4  # a new version; history kept
    assert not page.errors


def test_an_admin_changes_a_grant_in_place(page, workspace, runbook):
    store, _ = runbook
    agent = identity.get_or_create_agent(workspace=workspace, name="sre-search")
    make_user("alice", workspace=workspace, role=Role.ADMIN)
    sign_in(page, "alice")
    page.get_by_role("link", name="Grants").click()
    cell = page.get_by_label("Access of agent sre-search to store runbooks")
    page.shot("grants-before")
    with page.expect_response(lambda r: "/grants/set" in r.url and r.status == 200):
        cell.select_option("read_only")
    page.wait_for_selector("td.cell >> text=Saved")
    page.shot("grants-after")
    assert Grant.objects.get(store=store, agent=agent).access == Access.READ_ONLY
    page.reload()
    assert page.get_by_label("Access of agent sre-search to store runbooks").input_value() == "read_only"
    with page.expect_response(lambda r: "/grants/set" in r.url and r.status == 200):
        page.get_by_label("Access of agent sre-search to store runbooks").select_option("")
    assert not Grant.objects.filter(store=store, agent=agent).exists()  # back to the store default
    assert not page.errors
