"""The review on a finished dream's page: grouped changes, diffs, evidence links, approve and reject.

Dreams here run on a scripted engine (registered through REVERIE_EXTRA_ENGINES, the
plug-in setting), so each test knows exactly which changes a dream proposes; the
runner, the proposal and the review are the real ones. Other console dream tests
import the helpers below.
"""

import pytest

from dreams import lifecycle, runner
from dreams.engines.base import Change
from dreams.models import Dream, Proposal, ProposedChange
from memory import identity
from memory.access import Actor, Principal
from memory.models import Memory
from memory.store import create_memory, update_memory
from tests.dreams.factories import make_session, text_event

HOSTILE = "<script>alert(1)</script>"
HOSTILE_IMG = "<img src=x onerror=alert(1)>"
PATTERN_PATH = f"/patterns/{HOSTILE_IMG}.md"


class ScriptedEngine:
    """Per memory, by name: *dup.md is deleted (dedup), *old.md is renamed (other), the rest gain a
    line (stale). Plus one hostile pattern memory. Every change cites the first two events of each session."""

    name = "console-scripted"

    def run(self, *, base, sessions, instructions, context):
        cited = []
        for session in sessions:
            ids = [event.id for event in session.events()][:2]
            cited.append({"type": "session", "session_id": session.id, "event_ids": ids})
        context.progress(step="scripted", sessions_read=len(cited))
        for memory in sorted(base, key=lambda m: m.path):
            context.charge(read=memory.content)
            evidence = [{"type": "memory", "memory_id": memory.memory_id, "path": memory.path, "line": 1,
                         "excerpt": memory.content[:40]}, *cited]
            if memory.path.endswith("dup.md"):
                yield Change(operation="delete", category="dedup", rationale=f"{memory.path} repeats another memory.",
                             evidence=evidence, memory_id=memory.memory_id)
            elif memory.path.endswith("old.md"):
                yield Change(operation="rename", category="other", rationale="Better name.", evidence=evidence,
                             memory_id=memory.memory_id, path=memory.path.replace("old.md", "new.md"))
            else:
                yield Change(operation="modify", category="stale", rationale=f"Checked {memory.path} again.",
                             evidence=evidence, memory_id=memory.memory_id, path=memory.path,
                             content=memory.content + "\nChecked by a dream.")
        context.charge(written=HOSTILE)
        yield Change(operation="create", category="pattern", rationale=f"{HOSTILE} seen twice {HOSTILE_IMG}",
                     evidence=[*cited, {"type": "session", "session_id": "sesn_x", "event_ids": ["e\"><b>1", "e2"],
                                        "role": "avoided", "finding": HOSTILE},
                               {"type": "web", "url": "javascript:alert(1)"}],
                     path=PATTERN_PATH, content=f"{HOSTILE}\nRetry with backoff.")


@pytest.fixture
def scripted(settings):
    settings.REVERIE_EXTRA_ENGINES = ["tests.console.test_review:ScriptedEngine"]
    return ScriptedEngine.name


@pytest.fixture
def memories(store):
    actor = Actor(user_id="user_fixture")
    return {path: create_memory(store=store, path=path, content=text, actor=actor) for path, text in [
        ("/runbooks/db.md", "# DB\nRestart with care."),
        ("/runbooks/db-dup.md", "# DB\nRestart with care."),
        ("/notes/deploy-old.md", "Deploy on Tuesdays."),
    ]}


@pytest.fixture
def sessions(workspace):
    agent = identity.create_agent(workspace=workspace, name="pilot")
    return [make_session(workspace, agent, title=f"run {i}",
                         events=[text_event(text="restart db", id=f"evt_{i}_a"),
                                 text_event("agent.message", text="done", id=f"evt_{i}_b")])
            for i in range(2)]


def start_dream(workspace, store, sessions, *, model, output_behavior="create_new", **fields) -> Dream:
    """A dream created through the domain, as an admin principal of the workspace."""
    return lifecycle.start_dream(
        principal=Principal(workspace=workspace, user_id="user_fixture"), store_id=store.id,
        session_ids=[s.id for s in sessions], model_id=model, output_behavior=output_behavior, **fields,
    )


def finished_dream(workspace, store, sessions, *, model, **fields) -> Dream:
    """Created and run synchronously, the way the Celery task runs it."""
    dream = start_dream(workspace, store, sessions, model=model, **fields)
    assert runner.run_dream(dream.id) == "completed"
    return Dream.objects.get(pk=dream.pk)


@pytest.fixture
def dream(workspace, store, memories, sessions, scripted):
    return finished_dream(workspace, store, sessions, model=scripted)


def page(workspace, store, dream):
    return f"/w/{workspace.id}/stores/{store.id}/dreams/{dream.id}"


def change(dream, path) -> ProposedChange:
    return ProposedChange.objects.get(proposal__dream=dream, base_path=path)


def content(store, path) -> str:
    return bytes(Memory.objects.get(store=store, path=path).blob.data).decode()


def test_it_groups_the_changes_by_category_with_diffs_and_evidence(vic_viewer, workspace, store, dream, sessions):
    r = vic_viewer.get(page(workspace, store, dream))
    assert r.status_code == 200
    body = r.content.decode()
    for category in ("pattern", "dedup", "stale", "other"):
        assert f'id="cat-{category}"' in body
    assert body.index('id="cat-pattern"') < body.index('id="cat-dedup"') < body.index('id="cat-stale"')
    assert '<tr class="insert">' in body and "Checked by a dream." in body  # the diff of the modify
    assert "/notes/deploy-old.md → /notes/deploy-new.md" in body
    # Evidence links go to the transcript viewer, highlighting the exact events.
    first = sessions[0]
    assert (f'href="/w/{workspace.id}/sessions/{first.id}?highlight=evt_0_a,evt_0_b#event-evt_0_a"') in body
    # Memory evidence links to the memory.
    db = Memory.objects.get(store=store, path="/runbooks/db.md")
    assert f'href="/w/{workspace.id}/stores/{store.id}/memories/{db.id}"' in body
    # A viewer sees no review controls.
    assert 'name="change_ids"' not in body and "Approve selected" not in body


def test_each_category_says_what_its_changes_are(vic_viewer, workspace, store, dream):
    body = vic_viewer.get(page(workspace, store, dream)).content.decode()
    assert "The same fact kept in several memories" in body  # dedup
    assert "stopped working in recent sessions" in body  # stale


def test_it_escapes_everything_the_dream_wrote(olga_operator, workspace, store, dream):
    r = olga_operator.get(page(workspace, store, dream))
    body = r.content.decode()
    assert r.status_code == 200
    assert "<script>alert" not in body and "<img src=x" not in body and "<b>1" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body  # shown, as text
    assert "javascript:alert(1)" in body and 'href="javascript' not in body
    # Hostile event ids are percent-encoded in the link, never raw.
    assert "?highlight=e%22%3E%3Cb%3E1,e2#event-e%22%3E%3Cb%3E1" in body


def test_it_offers_review_controls_to_operators(olga_operator, workspace, store, dream):
    body = olga_operator.get(page(workspace, store, dream)).content.decode()
    assert body.count('name="change_ids"') == ProposedChange.objects.filter(proposal__dream=dream).count() == 4
    assert "Approve selected" in body and "Reject selected" in body and "Approve all" in body
    assert 'name="csrfmiddlewaretoken"' in body


def test_it_approves_the_selected_changes_and_rejects_the_rest(olga_operator, workspace, store, dream):
    stale, dup = change(dream, "/runbooks/db.md"), change(dream, "/runbooks/db-dup.md")
    r = olga_operator.post(page(workspace, store, dream) + "/approve",
                           {"scope": "selected", "change_ids": [stale.id, dup.id]})
    assert r.status_code == 302 and r["Location"] == page(workspace, store, dream)
    assert content(store, "/runbooks/db.md").endswith("Checked by a dream.")
    assert not Memory.objects.filter(store=store, path="/runbooks/db-dup.md").exists()
    assert Memory.objects.filter(store=store, path="/notes/deploy-old.md").exists()  # not selected
    states = dict(ProposedChange.objects.filter(proposal__dream=dream).values_list("id", "review_state"))
    assert states[stale.id] == states[dup.id] == "applied"
    assert sorted(states.values()).count("rejected") == 2
    proposal = Proposal.objects.get(dream=dream)
    assert proposal.status == "partially_applied" and proposal.reviewed_by["type"] == "user_actor"
    body = olga_operator.get(r["Location"]).content.decode()
    assert "2 applied, 2 rejected" in body
    assert "Roll back 2 applied changes" in body


def test_it_approves_everything_in_one_click(olga_operator, workspace, store, dream):
    r = olga_operator.post(page(workspace, store, dream) + "/approve", {"scope": "all"})
    assert r.status_code == 302
    assert Proposal.objects.get(dream=dream).status == "applied"
    assert Memory.objects.filter(store=store, path=PATTERN_PATH).exists()
    assert Memory.objects.filter(store=store, path="/notes/deploy-new.md").exists()


def test_it_shows_a_conflict_instead_of_overwriting(olga_operator, workspace, store, dream):
    update_memory(store=store, memory_id=change(dream, "/runbooks/db.md").memory_id, actor=Actor(user_id="someone"),
                  content="their text")
    r = olga_operator.post(page(workspace, store, dream) + "/approve", {"scope": "all"}, follow=True)
    assert r.status_code == 200
    body = r.content.decode()
    assert "Conflict, not applied: /runbooks/db.md changed after the dream started" in body
    assert 'class="change state-conflict"' in body
    assert content(store, "/runbooks/db.md") == "their text"
    assert Proposal.objects.get(dream=dream).status == "partially_applied"


def test_it_rejects_selected_changes_then_the_rest(olga_operator, workspace, store, dream):
    dup = change(dream, "/runbooks/db-dup.md")
    r = olga_operator.post(page(workspace, store, dream) + "/reject", {"scope": "selected", "change_ids": [dup.id]})
    assert r.status_code == 302
    dup.refresh_from_db()
    assert dup.review_state == "rejected" and Proposal.objects.get(dream=dream).status == "open"
    assert Memory.objects.filter(store=store, path="/runbooks/db-dup.md").exists()
    r = olga_operator.post(page(workspace, store, dream) + "/reject", {"scope": "all"})
    assert r.status_code == 302
    assert Proposal.objects.get(dream=dream).status == "rejected"
    assert content(store, "/runbooks/db.md") == "# DB\nRestart with care."


def test_it_refuses_unknown_change_ids(olga_operator, workspace, store, dream):
    r = olga_operator.post(page(workspace, store, dream) + "/approve",
                           {"scope": "selected", "change_ids": ["pchg_nope"]})
    assert r.status_code == 400
    assert b"is not a pending change of this proposal" in r.content
    assert Proposal.objects.get(dream=dream).status == "open"


def test_it_refuses_an_empty_selection_rather_than_rejecting_everything(olga_operator, workspace, store, dream):
    r = olga_operator.post(page(workspace, store, dream) + "/approve", {"scope": "selected"})
    assert r.status_code == 400
    assert b"Tick at least one change" in r.content
    states = ProposedChange.objects.filter(proposal__dream=dream).values_list("review_state", flat=True)
    assert set(states) == {"pending"}


def test_a_second_approve_changes_nothing(olga_operator, workspace, store, dream):
    olga_operator.post(page(workspace, store, dream) + "/approve", {"scope": "all"})
    r = olga_operator.post(page(workspace, store, dream) + "/approve", {"scope": "all"}, follow=True)
    assert r.status_code == 200
    assert b"Nothing to do: this proposal is already applied." in r.content


def test_it_refuses_to_review_an_unfinished_dream(olga_operator, workspace, store, memories, sessions, scripted):
    pending = start_dream(workspace, store, sessions, model=scripted)
    r = olga_operator.post(page(workspace, store, pending) + "/approve", {"scope": "all"})
    assert r.status_code == 409
    assert b"review it once it has finished" in r.content
    assert not Proposal.objects.filter(dream=pending).exists()


def test_it_forbids_viewers_to_review(vic_viewer, workspace, store, dream):
    for action in ("approve", "reject"):
        assert vic_viewer.post(page(workspace, store, dream) + f"/{action}", {"scope": "all"}).status_code == 403
    assert Proposal.objects.get(dream=dream).status == "open"


def test_it_hides_a_dream_of_another_workspace(olga_operator, workspace, store, other_workspace, scripted):
    from memory import stores

    foreign = stores.create_store(workspace=other_workspace, name="theirs")
    agent = identity.create_agent(workspace=other_workspace, name="spy")
    theirs = finished_dream(other_workspace, foreign, [make_session(other_workspace, agent)], model=scripted)
    assert olga_operator.get(page(workspace, store, theirs)).status_code == 404
    r = olga_operator.post(page(workspace, store, theirs) + "/approve", {"scope": "all"})
    assert r.status_code == 404
    assert Proposal.objects.get(dream=theirs).status == "open"


def test_the_whole_flow_by_clicking(olga_operator, workspace):
    """The SRE fleet: Dream form → the worker's run → review with evidence → approve two → rollback."""
    from tests.dreams.fleet import contents, load_sre_fleet

    fleet = load_sre_fleet(workspace.name)
    before = contents(fleet)
    base = f"/w/{workspace.id}/stores/{fleet.id}/dreams/"
    r = olga_operator.post(base + "new", {"mode": "filter", "max_sessions": "100", "model": "reverie-offline",
                                          "output_behavior": "create_new", "instructions": "Tidy up."})
    assert r.status_code == 302
    dream = Dream.objects.get(input_store=fleet)
    assert runner.run_dream(dream.id) == "completed"  # what the Celery task calls

    body = olga_operator.get(r["Location"]).content.decode()
    changes = list(ProposedChange.objects.filter(proposal__dream=dream).order_by("seq"))
    for category in {c.category for c in changes}:
        assert f'id="cat-{category}"' in body
    cited = next(e for c in changes for e in c.evidence if e["type"] == "session" and e["event_ids"])
    assert (f'href="/w/{workspace.id}/sessions/{cited["session_id"]}?highlight={",".join(cited["event_ids"])}'
            f'#event-{cited["event_ids"][0]}"') in body
    assert body.count('name="change_ids"') == len(changes)

    picked = [c for c in changes if c.operation in ("modify", "delete")][:2]
    r = olga_operator.post(base + f"{dream.id}/approve", {"scope": "selected", "change_ids": [c.id for c in picked]})
    assert r.status_code == 302
    after = contents(fleet)
    for c in picked:
        if c.operation == "delete":
            assert c.base_path not in after
        else:
            assert after[c.path] == bytes(c.blob.data).decode() != before[c.base_path]
    untouched = set(before) - {c.base_path for c in picked}
    assert all(after[p] == before[p] for p in untouched)

    r = olga_operator.post(base + f"{dream.id}/rollback", follow=True)
    assert r.status_code == 200 and b"2 undone" in r.content
    assert contents(fleet) == before


def test_the_review_page_costs_no_query_per_change(olga_operator, workspace, store, dream,
                                                   django_assert_max_num_queries):
    olga_operator.get(page(workspace, store, dream))  # the first visit records the user's public id
    # A constant: the page, its counts and files touched, one page of changes with their bases.
    with django_assert_max_num_queries(20):
        r = olga_operator.get(page(workspace, store, dream))
    assert r.status_code == 200
    assert "Content unchanged; only the path moves." in r.content.decode()


def test_a_big_proposal_is_reviewed_a_page_at_a_time(olga_operator, workspace, store, sessions, scripted):
    from console.views.review import CHANGES_PER_PAGE

    actor = Actor(user_id="user_fixture")
    for index in range(CHANGES_PER_PAGE + 10):
        create_memory(store=store, path=f"/notes/n{index:03d}.md", content=f"Note {index}.", actor=actor)
    big = finished_dream(workspace, store, sessions, model=scripted)
    total = big.proposal.changes.count()
    assert total == CHANGES_PER_PAGE + 11  # one stale change per memory, plus the pattern
    first = olga_operator.get(page(workspace, store, big))
    body = first.content.decode()
    assert body.count('<article class="change') == CHANGES_PER_PAGE
    assert f"{total} changes" in body and "Next changes" in body
    assert f'<span class="badge">{total - 1}</span>' in body  # the stale group counts all its changes
    second = olga_operator.get(page(workspace, store, big) + "?changes=2").content.decode()
    assert second.count('<article class="change') == 11
    # "Approve all" takes every pending change, not only the page shown.
    olga_operator.post(page(workspace, store, big) + "/approve", {"scope": "all"})
    assert not big.proposal.changes.filter(review_state="pending").exists()
