"""GET /w/<ws>/stores/<store>/activity: every write to a store, newest first, filtered and paged."""

from datetime import datetime
from datetime import timezone as dt_timezone

import pytest

from memory import identity
from memory.access import Actor
from memory.models import MemoryVersion
from memory.store import create_memory, delete_memory, update_memory


def _url(workspace, store):
    return f"/w/{workspace.id}/stores/{store.id}/activity"


@pytest.fixture
def scribe(workspace):
    agent = identity.create_agent(workspace=workspace, name="scribe")
    agent.key = identity.issue_api_key(workspace=workspace, name="scribe key", agent=agent).key
    return agent


@pytest.fixture
def writes(store, scribe, writer_actor):
    """Three memories: one by the scribe in a session, one by a user, one deleted."""
    by_scribe = create_memory(store=store, path="/a.md", content="a",
                              actor=Actor(api_key_id=scribe.key.id, session_id="sesn_one"))
    by_user = create_memory(store=store, path="/b.md", content="b", actor=writer_actor)
    update_memory(store=store, memory_id=by_user.id, actor=writer_actor, content="b2")
    gone = create_memory(store=store, path="/c.md", content="c", actor=writer_actor)
    deleted = delete_memory(store=store, memory_id=gone.id, actor=writer_actor)
    return {"scribe": by_scribe, "user": by_user, "gone": gone, "deleted_version": deleted.deleted_version_id}


def _ids(response):
    return [row["v"].id for row in response.context["rows"]]


def test_it_lists_every_write_newest_first(vic_viewer, workspace, store, writes):
    r = vic_viewer.get(_url(workspace, store))
    assert r.status_code == 200
    expected = list(MemoryVersion.objects.filter(store=store).order_by("-seq").values_list("id", flat=True))
    assert _ids(r) == expected
    body = r.content.decode()
    assert f'href="/w/{workspace.id}/stores/{store.id}/memories/{writes["scribe"].id}"' in body
    # A deleted memory links to its history, which outlives it.
    assert f'href="/w/{workspace.id}/stores/{store.id}/memories/{writes["gone"].id}/history"' in body
    assert f'/versions/{writes["deleted_version"]}"' in body
    assert f'href="/w/{workspace.id}/sessions/sesn_one"' in body
    assert "scribe key" in body


def test_it_filters_by_agent(vic_viewer, workspace, store, writes, scribe):
    r = vic_viewer.get(_url(workspace, store), {"agent": scribe.id})
    assert r.status_code == 200
    assert _ids(r) == [writes["scribe"].head_version_id]


def test_it_filters_by_session(vic_viewer, workspace, store, writes):
    r = vic_viewer.get(_url(workspace, store), {"session": "sesn_one"})
    assert _ids(r) == [writes["scribe"].head_version_id]
    assert vic_viewer.get(_url(workspace, store), {"session": "sesn_other"}).context["rows"] == []


def test_it_filters_by_operation(vic_viewer, workspace, store, writes):
    r = vic_viewer.get(_url(workspace, store), {"operation": "deleted"})
    assert _ids(r) == [writes["deleted_version"]]
    r = vic_viewer.get(_url(workspace, store), {"operation": "modified"})
    assert [row["v"].operation for row in r.context["rows"]] == ["modified"]


def test_it_filters_by_days(vic_viewer, workspace, store, writes):
    old = writes["scribe"].head_version_id
    MemoryVersion.objects.filter(id=old).update(created_at=datetime(2024, 3, 10, 12, tzinfo=dt_timezone.utc))
    r = vic_viewer.get(_url(workspace, store), {"since": "2024-03-10", "until": "2024-03-10"})
    assert r.status_code == 200
    assert _ids(r) == [old]
    r = vic_viewer.get(_url(workspace, store), {"until": "2024-03-09"})
    assert _ids(r) == []
    r = vic_viewer.get(_url(workspace, store), {"since": "2024-03-11"})
    assert old not in _ids(r) and len(_ids(r)) == 4


def test_it_pages_with_the_filters_kept(vic_viewer, workspace, store, writer_actor):
    memory = create_memory(store=store, path="/busy.md", content="0", actor=writer_actor)
    for i in range(1, 56):
        update_memory(store=store, memory_id=memory.id, actor=writer_actor, content=str(i))
    r = vic_viewer.get(_url(workspace, store), {"operation": "modified"})
    assert len(r.context["rows"]) == 50
    next_page = r.context["next_page"]
    assert b"operation=modified&amp;page=" in r.content
    r = vic_viewer.get(_url(workspace, store), {"operation": "modified", "page": next_page}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert len(r.context["rows"]) == 5
    assert b"<html" not in r.content and b'id="feed"' in r.content
    # A cursor made for one filter set is refused for another.
    r = vic_viewer.get(_url(workspace, store), {"page": next_page})
    assert r.status_code == 400


def test_the_filter_form_is_htmx_with_a_plain_fallback(vic_viewer, workspace, store):
    r = vic_viewer.get(_url(workspace, store))
    body = r.content.decode()
    assert f'action="{_url(workspace, store)}"' in body and 'hx-get="' in body and 'hx-target="#feed"' in body
    assert '<label>From <input type="date" name="since"' in body


def test_it_reads_a_page_in_a_fixed_number_of_queries(vic_viewer, workspace, store, django_assert_max_num_queries):
    for i in range(15):
        agent = identity.create_agent(workspace=workspace, name=f"agent{i}")
        key = identity.issue_api_key(workspace=workspace, name=f"key{i}", agent=agent).key
        create_memory(store=store, path=f"/m{i}.md", content="x", actor=Actor(api_key_id=key.id, session_id=f"s{i}"))
    vic_viewer.get(_url(workspace, store))
    # session, user, workspace, membership, identity, store, the page, keys, live memories, agents, switcher
    with django_assert_max_num_queries(12):
        r = vic_viewer.get(_url(workspace, store))
    assert len(r.context["rows"]) == 15


@pytest.mark.parametrize("params, message", [
    ({"since": "yesterday"}, b"YYYY-MM-DD"),
    ({"until": "2024-02-30"}, b"YYYY-MM-DD"),
    ({"since": "2024-03-02", "until": "2024-03-01"}, b"must come before"),
    ({"operation": "exploded"}, b"must be one of"),
    ({"page": "garbage"}, b"not a valid page cursor"),
])
def test_bad_filters_are_a_400(vic_viewer, workspace, store, params, message):
    r = vic_viewer.get(_url(workspace, store), params)
    assert r.status_code == 400
    assert message in r.content


def test_it_escapes_agent_written_text(vic_viewer, workspace, store):
    agent = identity.create_agent(workspace=workspace, name="<script>alert(1)</script>")
    key = identity.issue_api_key(workspace=workspace, name="<img src=x onerror=alert(1)>", agent=agent).key
    create_memory(store=store, path="/javascript:alert(1).md", content="x",
                  actor=Actor(api_key_id=key.id, session_id='"><script>alert(2)</script>'))
    r = vic_viewer.get(_url(workspace, store), {"session": '"><script>alert(2)</script>'})
    assert r.status_code == 200
    body = r.content.decode()
    assert "<script>alert(" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert 'href="javascript:' not in body


def test_another_workspace_is_a_404(vic_viewer, other_workspace, foreign_store):
    assert vic_viewer.get(_url(other_workspace, foreign_store)).status_code == 404


def test_a_store_of_another_workspace_is_a_404(vic_viewer, workspace, foreign_store):
    assert vic_viewer.get(_url(workspace, foreign_store)).status_code == 404


def test_it_needs_a_login(client, workspace, store):
    assert client.get(_url(workspace, store)).status_code == 302
