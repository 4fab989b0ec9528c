"""The transcript viewer: every event kind, evidence highlights and their page, memories written,
permissions, escaping of untrusted transcript content, query count."""

import re

import pytest

from dreams import sessions
from memory import identity
from memory.access import Actor
from memory.store import create_memory, delete_memory, update_memory


@pytest.fixture
def agent(workspace):
    return identity.create_agent(workspace=workspace, name="sre-edge")


def _session(workspace, agent, events=(), **fields):
    fields.setdefault("title", "Restart the db")
    return sessions.register_session(workspace=workspace, agent=agent, environment_id="env_test",
                                     events=list(events), **fields)


def _url(session, **params):
    from urllib.parse import urlencode

    query = "?" + urlencode(params) if params else ""
    return f"/w/{session.workspace_id}/sessions/{session.id}{query}"


def _text(event_type, text, event_id):
    return {"type": event_type, "id": event_id, "content": [{"type": "text", "text": text}]}


def _li(body, event_id):
    """The <li> of one event (up to the next event)."""
    start = body.index(f'<li id="event-{event_id}"')
    end = body.find('<li id="event-', start + 1)
    return body[start:end if end > 0 else None]


KINDS = [
    {"type": "user.define_outcome", "id": "sevt_define", "outcome_id": "outc_1", "description": "DB is back"},
    _text("user.message", "Please restart **the db**", "sevt_user"),
    {"type": "agent.thinking", "id": "sevt_think"},
    {"type": "agent.tool_use", "id": "sevt_use", "name": "bash", "input": {"command": "systemctl restart pg"}},
    {"type": "agent.tool_result", "id": "sevt_result", "tool_use_id": "sevt_use", "is_error": False,
     "content": [{"type": "text", "text": "restarted ok"}]},
    {"type": "agent.tool_use", "id": "sevt_use2", "name": "http", "input": {"url": "http://db/health"}},
    {"type": "agent.tool_result", "id": "sevt_fail", "tool_use_id": "sevt_use2", "is_error": True,
     "content": [{"type": "text", "text": "connection refused"}]},
    {"type": "session.error", "id": "sevt_error",
     "error": {"type": "model_overloaded_error", "message": "Overloaded", "retry_status": {"type": "retrying"}}},
    _text("agent.message", "Done: **restarted**.", "sevt_agent"),
    {"type": "span.outcome_evaluation_end", "id": "sevt_verdict", "outcome_id": "outc_1", "iteration": 1,
     "result": "satisfied", "explanation": "Health check passes"},
    {"type": "session.status_idle", "id": "sevt_idle", "stop_reason": {"type": "end_turn"}},
    {"type": "workflow_run.phase_started", "id": "sevt_other", "phase": "deploy"},
]


def test_it_renders_the_header(vic_viewer, workspace, agent):
    session = _session(workspace, agent, KINDS, metadata={"ticket": "OPS-12"}, outcome_score=0.9)
    r = vic_viewer.get(_url(session))
    assert r.status_code == 200
    body = r.content.decode()
    assert '<h1 class="session-title">Restart the db</h1>' in body
    assert "sre-edge" in body and agent.id in body and "env_test" in body
    assert '<span class="outcome-badge outcome-satisfied">satisfied</span>' in body
    assert '<span class="outcome-score">0.90</span>' in body
    assert "DB is back" in body and "Health check passes" in body  # the evaluation
    assert "<dt>ticket</dt><dd>OPS-12</dd>" in body
    assert 'aria-current="page">Sessions</a>' in body


def test_it_renders_each_event_kind_in_order(vic_viewer, workspace, agent):
    session = _session(workspace, agent, KINDS)
    body = vic_viewer.get(_url(session)).content.decode()
    ids = re.findall(r'<li id="event-([^"]+)"', body)
    assert ids == [e["id"] for e in KINDS]

    user = _li(body, "sevt_user")
    assert 'class="event kind-message"' in user and "Please restart **the db**" in user  # user text stays text
    assert "<strong>restarted</strong>" in _li(body, "sevt_agent")  # agent markdown is rendered
    use = _li(body, "sevt_use")
    assert "<details>" in use and '<code class="tool">bash</code>' in use
    assert '<span class="preview">systemctl restart pg</span>' in use
    assert "&quot;command&quot;: &quot;systemctl restart pg&quot;" in use  # the input as JSON
    result = _li(body, "sevt_result")
    assert 'class="event kind-tool_result"' in result and '<code class="tool">bash</code>' in result
    assert "restarted ok" in result and "ev-error" not in result
    failed = _li(body, "sevt_fail")
    assert 'class="event kind-tool_result error"' in failed
    assert '<span class="ev-label ev-error">error</span>' in failed and '<code class="tool">http</code>' in failed
    error = _li(body, "sevt_error")
    assert 'class="event kind-error error"' in error
    assert "model_overloaded_error" in error and "Overloaded" in error and "retrying" in error
    verdict = _li(body, "sevt_verdict")
    assert "kind-outcome" in verdict and "outcome-satisfied" in verdict and "Health check passes" in verdict
    assert "idle" in _li(body, "sevt_idle") and "end_turn" in _li(body, "sevt_idle")
    assert "thinking" in _li(body, "sevt_think")
    assert "&quot;phase&quot;: &quot;deploy&quot;" in _li(body, "sevt_other")  # unknown types show their JSON
    assert '<section class="session-final"' in body


def test_it_names_the_tool_of_a_result_whose_call_is_on_an_earlier_page(vic_viewer, workspace, agent, monkeypatch):
    from console.views import sessions as views

    monkeypatch.setattr(views, "EVENTS_PAGE_SIZE", 1)
    session = _session(workspace, agent, KINDS[3:5])
    r = vic_viewer.get(_url(session, page=2))
    assert [row["id"] for row in r.context["rows"]] == ["sevt_result"]
    assert '<code class="tool">bash</code>' in r.content.decode()


def test_it_marks_and_opens_highlighted_events(vic_viewer, workspace, agent):
    session = _session(workspace, agent, KINDS)
    r = vic_viewer.get(_url(session, highlight="sevt_use,sevt_fail"))
    assert r.status_code == 200
    body = r.content.decode()
    use, fail = _li(body, "sevt_use"), _li(body, "sevt_fail")
    assert 'class="event kind-tool_use highlight"' in use and "<details open>" in use
    assert 'class="event kind-tool_result error highlight"' in fail and "<details open>" in fail
    result = _li(body, "sevt_result")
    assert "highlight" not in result and "<details>" in result


def test_an_evidence_link_opens_the_page_holding_the_first_highlighted_event(vic_viewer, workspace, agent,
                                                                            monkeypatch):
    from console.views import sessions as views

    monkeypatch.setattr(views, "EVENTS_PAGE_SIZE", 3)
    events = [_text("user.message", f"step {n}", f"sevt_{n}") for n in range(8)]
    session = _session(workspace, agent, events)
    r = vic_viewer.get(_url(session, highlight="sevt_7,sevt_1"))  # the link's first id decides the page
    assert r.status_code == 200
    assert r.context["page_number"] == 3
    assert [row["id"] for row in r.context["rows"]] == ["sevt_6", "sevt_7"]
    assert r.context["next_url"] is None
    assert r.context["prev_url"] == f"/w/{workspace.id}/sessions/{session.id}?highlight=sevt_7%2Csevt_1&page=2"
    r = vic_viewer.get(_url(session, highlight="sevt_4"))
    assert r.context["page_number"] == 2
    assert [row["id"] for row in r.context["rows"]] == ["sevt_3", "sevt_4", "sevt_5"]
    assert 'class="event kind-message highlight"' in _li(r.content.decode(), "sevt_4")
    # An unknown id falls back to the first page; an explicit page wins over the highlight.
    assert vic_viewer.get(_url(session, highlight="sevt_nope")).context["page_number"] == 1
    r = vic_viewer.get(_url(session, highlight="sevt_7", page=1))
    assert [row["id"] for row in r.context["rows"]] == ["sevt_0", "sevt_1", "sevt_2"]
    assert r.context["next_url"].endswith("page=2")


@pytest.mark.parametrize("page", ["0", "-1", "two", "2", "²", "99999999999999999999999"])
def test_it_answers_400_for_a_bad_page(vic_viewer, workspace, agent, page):
    session = _session(workspace, agent, KINDS)
    r = vic_viewer.get(_url(session, page=page))
    assert r.status_code == 400
    assert "must be a page number" in r.content.decode()


def test_it_returns_only_the_events_fragment_to_htmx(vic_viewer, workspace, agent):
    session = _session(workspace, agent, KINDS)
    r = vic_viewer.get(_url(session), headers={"HX-Request": "true"})
    assert r.status_code == 200
    body = r.content.decode()
    assert "<html" not in body and "memories-written" not in body
    assert body.strip().startswith('<section id="events"')
    assert 'id="event-sevt_user"' in body


def test_it_lists_the_memories_this_session_wrote(vic_viewer, workspace, agent, store, foreign_store):
    session = _session(workspace, agent, KINDS)
    by_session = Actor(session_id=session.id)
    kept = create_memory(store=store, path="/runbooks/db.md", content="restart with care", actor=by_session)
    update_memory(store=store, memory_id=kept.id, actor=by_session, content="restart with more care")
    gone = create_memory(store=store, path="/tmp/scratch.md", content="x", actor=by_session)
    delete_memory(store=store, memory_id=gone.id, actor=Actor(user_id="user_x"))
    create_memory(store=store, path="/other.md", content="not this session", actor=Actor(user_id="user_x"))
    create_memory(store=foreign_store, path="/leak.md", content="other workspace", actor=by_session)
    r = vic_viewer.get(_url(session))
    body = r.content.decode()
    assert r.context["written_count"] == 3
    assert [(w["version"].path, w["version"].operation, w["exists"]) for w in r.context["written"]] == [
        ("/runbooks/db.md", "created", True), ("/runbooks/db.md", "modified", True),
        ("/tmp/scratch.md", "created", False),
    ]
    assert f'href="/w/{workspace.id}/stores/{store.id}/memories/{kept.id}"' in body
    assert "/tmp/scratch.md <span class=\"muted\">(deleted)</span>" in body
    assert "/other.md" not in body and "/leak.md" not in body


def test_it_bounds_the_memories_list(vic_viewer, workspace, agent, store, monkeypatch):
    from console.views import sessions as views

    monkeypatch.setattr(views, "MEMORIES_SHOWN", 2)
    session = _session(workspace, agent)
    for n in range(3):
        create_memory(store=store, path=f"/m{n}.md", content="x", actor=Actor(session_id=session.id))
    r = vic_viewer.get(_url(session))
    assert len(r.context["written"]) == 2 and r.context["written_count"] == 3
    assert "Showing the first 2 of 3 changes." in r.content.decode()


def test_it_404s_another_workspaces_session(alice_admin, workspace, other_workspace):
    spy = identity.create_agent(workspace=other_workspace, name="spy")
    theirs = _session(other_workspace, spy, KINDS)
    r = alice_admin.get(f"/w/{workspace.id}/sessions/{theirs.id}")
    assert r.status_code == 404
    assert b"Restart the db" not in r.content


def test_it_404s_for_non_members_and_unknown_sessions(alice_admin, workspace, other_workspace):
    spy = identity.create_agent(workspace=other_workspace, name="spy")
    theirs = _session(other_workspace, spy)
    assert alice_admin.get(_url(theirs)).status_code == 404
    assert alice_admin.get(f"/w/{workspace.id}/sessions/sesn_nope").status_code == 404


def test_it_requires_login(client, workspace, agent):
    session = _session(workspace, agent)
    r = client.get(_url(session))
    assert r.status_code == 302 and "/login/" in r["Location"]


HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(1)>'


def test_it_escapes_every_untrusted_field(vic_viewer, workspace, agent):
    odd_id = 'sevt_"><script>alert(2)</script>'
    events = [
        _text("user.message", HOSTILE, "sevt_u"),
        _text("agent.message", HOSTILE + " [x](javascript:alert(1)) <a href=\"javascript:alert(3)\">y</a>", "sevt_a"),
        {"type": "agent.tool_use", "id": "sevt_t", "name": HOSTILE, "input": {"command": HOSTILE, HOSTILE: 1}},
        {"type": "agent.tool_result", "id": odd_id, "tool_use_id": "sevt_t", "is_error": True,
         "content": [{"type": "text", "text": HOSTILE}]},
        {"type": "session.error", "id": "sevt_e", "error": {"type": HOSTILE, "message": HOSTILE}},
        {"type": "span.outcome_evaluation_end", "id": "sevt_o", "outcome_id": "outc_1", "result": "failed",
         "explanation": HOSTILE},
        {"type": HOSTILE, "id": "sevt_x", "data": HOSTILE},
    ]
    session = _session(workspace, agent, events, title=HOSTILE + '"\'', metadata={HOSTILE: HOSTILE})
    r = vic_viewer.get(_url(session, highlight=odd_id))
    assert r.status_code == 200
    body = r.content.decode()
    assert "<script>alert" not in body and "<img src=x" not in body and "onerror=alert(1)>" not in body
    # No tag carries a javascript: URL (escaped text may still spell one out).
    assert not re.search(r"<[a-z][^>]*\b(href|src)\s*=\s*[\"']?\s*javascript", body, re.IGNORECASE)
    assert "[x](javascript:alert(1))" in _li(body, "sevt_a")  # the refused link stays plain text
    assert '&lt;a href="javascript:alert(3)"&gt;y&lt;/a&gt;' in _li(body, "sevt_a")  # raw HTML is escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in body
    assert 'id="event-sevt_&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;"' in body
    assert 'class="event kind-tool_result error highlight"' in body  # the odd id still matched its highlight


def test_render_markdown_drops_javascript_links():
    from console.markdown import render_markdown

    html = str(render_markdown("[x](javascript:alert(1)) [ok](https://example.com) <script>alert(1)</script>"))
    assert 'href="javascript' not in html and "<script>" not in html
    assert 'href="https://example.com"' in html


def test_it_keeps_the_query_count_flat(vic_viewer, workspace, agent, store, django_assert_max_num_queries):
    events = []
    for n in range(60):
        events += [{"type": "agent.tool_use", "id": f"sevt_u{n}", "name": "bash", "input": {"command": f"ls {n}"}},
                   {"type": "agent.tool_result", "id": f"sevt_r{n}", "tool_use_id": f"sevt_u{n}",
                    "content": [{"type": "text", "text": "ok"}]}]
    session = _session(workspace, agent, events)
    for n in range(5):
        create_memory(store=store, path=f"/m{n}.md", content="x", actor=Actor(session_id=session.id))
    with django_assert_max_num_queries(14):
        r = vic_viewer.get(_url(session, highlight="sevt_r59"))
    assert r.status_code == 200 and len(r.context["rows"]) == 120 and len(r.context["written"]) == 5


def test_imported_transcripts_of_every_kind_render(alice_admin, workspace):
    """Claude Code transcripts and session exports, imported as a user would, render without error."""
    import io
    from pathlib import Path

    from django.core.management import call_command

    from dreams.models import Session

    data = Path(__file__).resolve().parents[1] / "dreams" / "data"
    call_command("import_sessions", str(data / "claude_code"), str(data / "sre-fleet"), "--workspace",
                 workspace.name, stdout=io.StringIO(), stderr=io.StringIO())
    sessions = list(Session.objects.filter(workspace=workspace))
    assert len(sessions) > 10
    listing = alice_admin.get(f"/w/{workspace.id}/sessions/")
    assert listing.status_code == 200
    for session in sessions:
        r = alice_admin.get(f"/w/{workspace.id}/sessions/{session.id}")
        assert r.status_code == 200, session.id
        assert 'id="event-' in r.content.decode()
