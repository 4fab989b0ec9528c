"""The sessions list: filters, cursor paging, the htmx fragment, permissions, escaping, query count."""

from datetime import datetime, timezone

import pytest

from dreams import sessions
from memory import identity
from memory.cursors import encode_cursor


def _at(day, hour=12):
    return datetime(2026, 3, day, hour, tzinfo=timezone.utc)


def _session(workspace, agent, *, title="a session", day=1, events=(), **fields):
    return sessions.register_session(workspace=workspace, agent=agent, title=title, environment_id="env_test",
                                     created_at=_at(day), events=list(events), **fields)


def _verdict(result):
    return {"type": "span.outcome_evaluation_end", "outcome_id": "outc_1", "iteration": 0, "result": result,
            "explanation": "checked"}


@pytest.fixture
def edge(workspace):
    return identity.create_agent(workspace=workspace, name="sre-edge")


@pytest.fixture
def core(workspace):
    return identity.create_agent(workspace=workspace, name="sre-core")


def _titles(response):
    return [s.title for s in response.context["rows"]]


def _url(workspace):
    return f"/w/{workspace.id}/sessions/"


def test_it_lists_sessions_newest_first(vic_viewer, workspace, edge):
    _session(workspace, edge, title="older", day=1, events=[{"type": "user.message", "content": []}],
             outcome_score=0.75)
    _session(workspace, edge, title="newer", day=2, events=[_verdict("satisfied")])
    r = vic_viewer.get(_url(workspace))
    assert r.status_code == 200
    assert _titles(r) == ["newer", "older"]
    body = r.content.decode()
    assert "<html" in body and 'aria-current="page">Sessions</a>' in body
    assert ">sre-edge</td>" in body
    assert "satisfied</span>" in body and "0.75" in body
    assert '<td class="num">1</td>' in body  # event count
    newer = r.context["rows"][0]
    assert f'href="/w/{workspace.id}/sessions/{newer.id}"' in body


def test_it_filters_by_agent(vic_viewer, workspace, edge, core):
    _session(workspace, edge, title="edge work")
    _session(workspace, core, title="core work")
    r = vic_viewer.get(_url(workspace), {"agent": core.id})
    assert r.status_code == 200
    assert _titles(r) == ["core work"]
    assert f'<option value="{core.id}" selected>' in r.content.decode()


def test_it_filters_by_outcome(vic_viewer, workspace, edge):
    _session(workspace, edge, title="good", day=1, events=[_verdict("satisfied")])
    _session(workspace, edge, title="bad", day=2, events=[_verdict("failed")])
    _session(workspace, edge, title="ungraded", day=3)
    assert _titles(vic_viewer.get(_url(workspace), {"outcome": "satisfied"})) == ["good"]
    assert _titles(vic_viewer.get(_url(workspace), {"outcome": "failed"})) == ["bad"]
    assert _titles(vic_viewer.get(_url(workspace), {"outcome": "none"})) == ["ungraded"]


def test_it_filters_by_status(vic_viewer, workspace, edge):
    _session(workspace, edge, title="running", day=1, events=[{"type": "session.status_running"}])
    _session(workspace, edge, title="idle", day=2, events=[{"type": "session.status_idle"}])
    assert _titles(vic_viewer.get(_url(workspace), {"status": "running"})) == ["running"]


def test_it_filters_by_created_dates_including_the_until_day(vic_viewer, workspace, edge):
    for day in (1, 2, 3, 4):
        _session(workspace, edge, title=f"day {day}", day=day)
    r = vic_viewer.get(_url(workspace), {"since": "2026-03-02", "until": "2026-03-03"})
    assert r.status_code == 200
    assert _titles(r) == ["day 3", "day 2"]
    assert _titles(vic_viewer.get(_url(workspace), {"since": "2026-03-04"})) == ["day 4"]
    assert _titles(vic_viewer.get(_url(workspace), {"until": "2026-03-01"})) == ["day 1"]
    r = vic_viewer.get(_url(workspace), {"since": "0001-01-01", "until": "9999-12-31"})
    assert r.status_code == 200 and len(r.context["rows"]) == 4


def test_it_hides_archived_sessions_unless_asked(vic_viewer, workspace, edge):
    _session(workspace, edge, title="live", day=1)
    _session(workspace, edge, title="old", day=2, archived_at=_at(3))
    assert _titles(vic_viewer.get(_url(workspace))) == ["live"]
    r = vic_viewer.get(_url(workspace), {"archived": "include"})
    assert _titles(r) == ["old", "live"]
    assert '<tr class="archived">' in r.content.decode()
    assert _titles(vic_viewer.get(_url(workspace), {"archived": "only"})) == ["old"]


@pytest.mark.parametrize("params, message", [
    ({"since": "yesterday"}, "must be a date"),
    ({"until": "2026-02-30"}, "must be a date"),
    ({"page": "not-a-cursor"}, "not a valid page cursor"),
    ({"page": encode_cursor({"s": "sessions:desc", "t": "2026-13-45T00:00:00", "i": "x", "d": "next"})},
     "not a valid page cursor"),
    ({"page": encode_cursor({"s": "stores", "t": "2026-01-01T00:00:00", "i": "x"})}, "not a valid page cursor"),
    ({"agent": "agent_nope"}, "No agent"),
    ({"outcome": "great"}, "must be one of"),
    ({"archived": "maybe"}, "must be empty, include or only"),
    ({"status": "sleeping"}, "must hold only"),
])
def test_it_answers_400_with_a_message_for_bad_filters(vic_viewer, workspace, edge, params, message):
    _session(workspace, edge, title="x")
    r = vic_viewer.get(_url(workspace), params)
    assert r.status_code == 400
    assert message in r.content.decode()
    assert r.context["rows"] == []


def test_it_pages_with_a_cursor_keeping_the_filters(vic_viewer, workspace, edge, core, monkeypatch):
    from console.views import sessions as views

    monkeypatch.setattr(views, "LIST_PAGE_SIZE", 2)
    for day in (1, 2, 3):
        _session(workspace, edge, title=f"edge {day}", day=day)
    _session(workspace, core, title="core", day=5)
    r = vic_viewer.get(_url(workspace), {"agent": edge.id})
    assert _titles(r) == ["edge 3", "edge 2"]
    next_url = r.context["next_url"]
    assert f"agent={edge.id}" in next_url and "page=" in next_url
    assert r.context["prev_url"] is None
    r = vic_viewer.get(next_url)
    assert r.status_code == 200
    assert _titles(r) == ["edge 1"]
    assert r.context["next_url"] is None
    assert _titles(vic_viewer.get(r.context["prev_url"])) == ["edge 3", "edge 2"]


def test_it_returns_only_the_list_fragment_to_htmx(vic_viewer, workspace, edge):
    _session(workspace, edge, title="only me")
    r = vic_viewer.get(_url(workspace), {"agent": edge.id}, headers={"HX-Request": "true"})
    assert r.status_code == 200
    body = r.content.decode()
    assert "<html" not in body and "<form" not in body
    assert body.strip().startswith('<section id="sessions-list"')
    assert "only me" in body


def test_the_filter_form_works_with_and_without_htmx(vic_viewer, workspace):
    body = vic_viewer.get(_url(workspace)).content.decode()
    assert f'<form method="get" action="/w/{workspace.id}/sessions/"' in body
    assert f'hx-get="/w/{workspace.id}/sessions/" hx-target="#sessions-list"' in body
    assert 'hx-push-url="true"' in body
    assert '<button type="submit">Filter</button>' in body


def test_it_shows_only_this_workspaces_sessions(alice_admin, workspace, other_workspace, edge):
    _session(workspace, edge, title="ours")
    theirs = identity.create_agent(workspace=other_workspace, name="spy")
    _session(other_workspace, theirs, title="theirs")
    r = alice_admin.get(_url(workspace))
    assert _titles(r) == ["ours"]
    assert "spy" not in r.content.decode()


def test_it_404s_for_non_members(alice_admin, other_workspace):
    assert alice_admin.get(_url(other_workspace)).status_code == 404


def test_it_lets_a_superuser_in(root_superuser, workspace, edge):
    _session(workspace, edge, title="visible")
    assert _titles(root_superuser.get(_url(workspace))) == ["visible"]


def test_it_requires_login(client, workspace):
    r = client.get(_url(workspace))
    assert r.status_code == 302
    assert "/login/" in r["Location"]


def test_it_escapes_hostile_titles_and_agent_names(vic_viewer, workspace):
    agent = identity.create_agent(workspace=workspace, name="evil-agent")
    _session(workspace, agent, title='<script>alert(1)</script><img src=x onerror=alert(1)>"\'')
    body = vic_viewer.get(_url(workspace)).content.decode()
    assert "<script>alert(1)" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&quot;&#x27;" in body


def test_it_keeps_the_query_count_flat(vic_viewer, workspace, edge, core, django_assert_max_num_queries):
    for day in range(1, 21):
        _session(workspace, edge if day % 2 else core, title=f"s{day}", day=day, events=[_verdict("satisfied")])
    with django_assert_max_num_queries(8):
        r = vic_viewer.get(_url(workspace), {"outcome": "satisfied", "since": "2026-03-01"})
    assert len(r.context["rows"]) == 20
