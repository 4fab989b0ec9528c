"""Rolling back an approved dream from its page: one POST, its own report, refusals explained."""

from dreams.models import Proposal, ProposedChange
from memory.access import Actor
from memory.models import Memory, MemoryVersion
from memory.store import update_memory
from tests.console.test_review import PATTERN_PATH, change, content, dream, memories, page, scripted, sessions  # noqa: F401


def approve_all(client, workspace, store, dream):
    assert client.post(page(workspace, store, dream) + "/approve", {"scope": "all"}).status_code == 302


def test_it_restores_every_applied_change(olga_operator, workspace, store, dream):
    approve_all(olga_operator, workspace, store, dream)
    assert content(store, "/runbooks/db.md").endswith("Checked by a dream.")

    r = olga_operator.post(page(workspace, store, dream) + "/rollback")

    assert r.status_code == 302
    assert content(store, "/runbooks/db.md") == "# DB\nRestart with care."
    assert content(store, "/runbooks/db-dup.md") == "# DB\nRestart with care."  # deleted, back under its id
    assert Memory.objects.filter(store=store, path="/notes/deploy-old.md").exists()
    assert not Memory.objects.filter(store=store, path=PATTERN_PATH).exists()
    proposal = Proposal.objects.get(dream=dream)
    assert proposal.status == "rolled_back" and proposal.rollback_changeset_id
    # History is kept: the rollback wrote new versions.
    db = Memory.objects.get(store=store, path="/runbooks/db.md")
    assert MemoryVersion.objects.filter(memory_id=db.id).count() == 3
    body = olga_operator.get(r["Location"]).content.decode()
    assert "Proposal is now rolled back: 4 undone." in body
    assert "4 changes undone" in body
    assert f'action="{page(workspace, store, dream)}/rollback"' not in body  # nothing left to roll back


def test_it_refuses_where_a_later_write_would_be_lost(olga_operator, workspace, store, dream):
    approve_all(olga_operator, workspace, store, dream)
    db = Memory.objects.get(store=store, path="/runbooks/db.md")
    update_memory(store=store, memory_id=db.id, actor=Actor(user_id="someone"), content="later words")

    r = olga_operator.post(page(workspace, store, dream) + "/rollback", follow=True)

    assert r.status_code == 200
    body = r.content.decode()
    assert "3 undone, 1 refused" in body
    assert "Not rolled back: /runbooks/db.md was changed after the dream was applied" in body
    assert content(store, "/runbooks/db.md") == "later words"
    assert change(dream, "/runbooks/db.md").review_state == "rollback_refused"


def test_it_refuses_a_rollback_before_approval(olga_operator, workspace, store, dream):
    r = olga_operator.post(page(workspace, store, dream) + "/rollback")
    assert r.status_code == 400
    assert b"only applied proposals roll back" in r.content
    assert Proposal.objects.get(dream=dream).status == "open"


def test_a_second_rollback_changes_nothing(olga_operator, workspace, store, dream):
    approve_all(olga_operator, workspace, store, dream)
    olga_operator.post(page(workspace, store, dream) + "/rollback")
    versions = MemoryVersion.objects.count()
    r = olga_operator.post(page(workspace, store, dream) + "/rollback", follow=True)
    assert r.status_code == 200
    assert b"already rolled back" in r.content
    assert MemoryVersion.objects.count() == versions


def test_it_forbids_viewers(vic_viewer, olga_operator, workspace, store, dream):
    approve_all(olga_operator, workspace, store, dream)
    assert vic_viewer.post(page(workspace, store, dream) + "/rollback").status_code == 403
    assert Proposal.objects.get(dream=dream).status == "applied"
    assert not ProposedChange.objects.filter(proposal__dream=dream, review_state="rolled_back").exists()


def test_the_button_asks_for_confirmation(olga_operator, workspace, store, dream):
    approve_all(olga_operator, workspace, store, dream)
    body = olga_operator.get(page(workspace, store, dream)).content.decode()
    assert f'action="{page(workspace, store, dream)}/rollback"' in body
    assert "return confirm(" in body and "Roll back 4 applied changes" in body
