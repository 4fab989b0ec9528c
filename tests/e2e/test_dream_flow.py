"""The newcomer's path on the demo store, by clicks in a real browser with a real Celery worker:
press Dream, watch it finish, read the evidence, approve part of the proposal, roll it back."""

import re

import pytest

from dreams.demo.loader import load_demo
from dreams.models import Dream, DreamStatus, ProposedChange
from memory.blobs import read_blob
from memory.models import Memory, Role
from tests.e2e.conftest import make_user, sign_in
from tests.worker import running_worker


@pytest.fixture
def demo(transactional_db):
    return load_demo()


def contents(store_id):
    return {m.path: read_blob(m.blob) for m in Memory.objects.filter(store_id=store_id).select_related("blob")}


def test_press_dream_on_the_demo_store_approve_part_and_roll_back(page, demo):
    make_user("olga", workspace=demo.workspace, role=Role.OPERATOR)
    before = contents(demo.store_id)
    sign_in(page, "olga")
    page.get_by_role("link", name="sre-runbooks").click()
    page.shot("demo-store")
    page.get_by_role("link", name="Dream", exact=True).click()
    page.wait_for_selector("#session-count")
    assert "30 sessions match" in page.locator("#session-count").inner_text()
    page.shot("dream-form")

    with running_worker():
        page.get_by_role("button", name="Start dream").click()
        page.wait_for_selector("#progress")
        page.shot("dream-running")
        # The progress fragment polls, and reloads the page into the review when the dream ends.
        page.wait_for_selector("#review-title", timeout=90_000)
    dream = Dream.objects.get(input_store_id=demo.store_id)
    assert dream.status == DreamStatus.COMPLETED
    page.shot("review")

    # Grouped by category, with counts; each change has a diff, a rationale and evidence links.
    for category in ("dedup", "stale", "verify", "pattern"):
        assert page.locator(f"#cat-{category} article.change").count() >= 1, category
    assert page.locator("table.diff").count() >= 1

    # Evidence opens the exact transcript events.
    evidence = page.locator("#cat-stale ul.evidence a[href*='/sessions/']").first
    evidence.click()
    page.wait_for_url(re.compile(r"/sessions/sesn_[^?]+\?highlight=.+#event-"))
    highlighted = page.locator("li.highlight")
    assert highlighted.count() >= 1 and highlighted.first.is_visible()
    page.shot("evidence-transcript")
    page.go_back()
    page.wait_for_selector("#review-title")

    # Approve two changes: the stale fix and one dedup change.
    picked = [page.locator("#cat-stale input[name=change_ids]").first,
              page.locator("#cat-dedup input[name=change_ids]").first]
    picked_ids = [box.get_attribute("value") for box in picked]
    for box in picked:
        box.check()
    page.get_by_role("button", name="Approve selected").click()
    page.wait_for_selector("text=Proposal is now")
    page.shot("approved-part")
    states = dict(ProposedChange.objects.filter(proposal__dream=dream).values_list("id", "review_state"))
    assert {states[i] for i in picked_ids} == {"applied"}
    assert sum(1 for s in states.values() if s == "applied") == 2
    after_approve = contents(demo.store_id)
    assert after_approve != before
    stale = ProposedChange.objects.get(id=picked_ids[0])
    assert after_approve[stale.path] != before.get(stale.base_path)

    # One click rolls the applied changes back, with a report.
    page.get_by_role("button", name=re.compile(r"Roll back 2 applied changes")).click()
    page.wait_for_selector("text=rolled back")
    page.shot("rolled-back")
    assert contents(demo.store_id) == before
    assert not page.errors
