"""GET /w/<ws>/stores/<store>/memories/<memory>/history: a memory's versions and who wrote them."""

from memory import identity
from memory.access import Actor
from memory.models import ChangeSet
from memory.store import create_memory, delete_memory, update_memory
from memory.versions import redact_version


def _url(workspace, store, memory_id):
    return f"/w/{workspace.id}/stores/{store.id}/memories/{memory_id}/history"


def test_it_lists_versions_newest_first_with_their_writers(vic_viewer, workspace, store, note):
    agent = identity.create_agent(workspace=workspace, name="scribe")
    key = identity.issue_api_key(workspace=workspace, name="scribe key", agent=agent).key
    update_memory(store=store, memory_id=note.id, actor=Actor(api_key_id=key.id, session_id="sesn_abc"), content="v2")
    changeset = ChangeSet.objects.create(store=store, actor={"actor": None, "dream_id": "dream_xyz"})
    dreamt = update_memory(store=store, memory_id=note.id, actor=Actor(user_id="user_x"), content="v3",
                           changeset=changeset)

    r = vic_viewer.get(_url(workspace, store, note.id))

    assert r.status_code == 200
    body = r.content.decode()
    assert body.index(dreamt.head_version_id) < body.index(note.head_version_id)  # newest first
    assert "scribe" in body and "scribe key" in body
    assert f'href="/w/{workspace.id}/sessions/sesn_abc"' in body
    assert f'href="/w/{workspace.id}/stores/{store.id}/dreams/dream_xyz"' in body
    assert "created" in body and "modified" in body
    assert f"/memories/{note.id}/compare" in body


def test_it_names_the_console_user(olga_operator, workspace, store, note):
    olga_operator.post(f"/w/{workspace.id}/stores/{store.id}/memories/{note.id}/edit",
                       {"path": note.path, "content": "olga was here", "expected_sha256": note.blob_id})
    r = olga_operator.get(_url(workspace, store, note.id))
    assert r.status_code == 200
    assert b"user <strong>olga</strong>" in r.content


def test_it_pages_by_cursor_and_serves_the_fragment_to_htmx(vic_viewer, workspace, store, note):
    for i in range(55):
        update_memory(store=store, memory_id=note.id, actor=Actor(user_id="user_x"), content=f"text {i}")
    r = vic_viewer.get(_url(workspace, store, note.id))
    assert r.status_code == 200
    assert r.content.count(b'name="b"') == 50
    assert b"Older versions" in r.content
    next_page = r.context["next_page"]

    r = vic_viewer.get(_url(workspace, store, note.id), {"page": next_page}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert r.content.count(b'name="b"') == 6
    assert b"<html" not in r.content and b'id="versions"' in r.content
    assert note.head_version_id.encode() in r.content  # the first version is on the last page


def test_it_reads_each_page_in_a_fixed_number_of_queries(vic_viewer, workspace, store, note,
                                                         django_assert_max_num_queries):
    for i in range(12):
        agent = identity.create_agent(workspace=workspace, name=f"agent{i}")
        key = identity.issue_api_key(workspace=workspace, name=f"key{i}", agent=agent).key
        changeset = ChangeSet.objects.create(store=store, actor={"dream_id": f"dream_{i}"})
        update_memory(store=store, memory_id=note.id, actor=Actor(api_key_id=key.id, session_id=f"sesn_{i}"),
                      content=f"text {i}", changeset=changeset)
        update_memory(store=store, memory_id=note.id, actor=Actor(user_id=f"user_{i}"), content=f"more {i}")
    vic_viewer.get(_url(workspace, store, note.id))  # warm the session
    # session, user, workspace, membership, identity, store, memory, latest version, the page,
    # its keys (with agents), users and changesets (dreams), the workspace switcher: 13, whatever the page holds.
    with django_assert_max_num_queries(13):
        r = vic_viewer.get(_url(workspace, store, note.id))
    assert r.status_code == 200
    assert b"agent11" in r.content and b"dream_11" in r.content


def test_it_shows_the_history_of_a_deleted_memory(vic_viewer, workspace, store, note):
    delete_memory(store=store, memory_id=note.id, actor=Actor(user_id="user_x"))
    r = vic_viewer.get(_url(workspace, store, note.id))
    assert r.status_code == 200
    assert b"deleted" in r.content and b"/runbooks/db.md" in r.content


def test_it_marks_redacted_versions(vic_viewer, workspace, store, note):
    update_memory(store=store, memory_id=note.id, actor=Actor(user_id="user_x"), content="v2")
    redact_version(store=store, version_id=note.head_version_id, actor=Actor(user_id="user_x"))
    r = vic_viewer.get(_url(workspace, store, note.id))
    assert r.status_code == 200
    assert b"redacted" in r.content


def test_it_escapes_agent_written_text(vic_viewer, workspace, store):
    agent = identity.create_agent(workspace=workspace, name="<script>alert(1)</script>")
    key = identity.issue_api_key(workspace=workspace, name="<img src=x onerror=alert(1)>", agent=agent).key
    memory = create_memory(store=store, path="/javascript:alert(1)/<b>x</b>.md", content="x",
                           actor=Actor(api_key_id=key.id, session_id="sesn_<i>\"x"))
    r = vic_viewer.get(_url(workspace, store, memory.id))
    assert r.status_code == 200
    body = r.content.decode()
    assert "<script>alert(1)" not in body and "<img src=x" not in body and "<b>x</b>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert 'href="javascript:' not in body


def test_a_bad_cursor_is_a_400(vic_viewer, workspace, store, note):
    r = vic_viewer.get(_url(workspace, store, note.id), {"page": "not-a-cursor"})
    assert r.status_code == 400
    assert b"not a valid page cursor" in r.content


def test_an_unknown_memory_is_a_404(vic_viewer, workspace, store):
    assert vic_viewer.get(_url(workspace, store, "mem_nope")).status_code == 404


def test_a_memory_of_another_store_is_a_404(vic_viewer, workspace, store, foreign_store, writer_actor):
    foreign = create_memory(store=foreign_store, path="/x.md", content="secret", actor=writer_actor)
    assert vic_viewer.get(_url(workspace, store, foreign.id)).status_code == 404


def test_an_outsider_gets_a_404(client, django_user_model, workspace, other_workspace, store, note):
    outsider = django_user_model.objects.create_user(username="otto", password="pw")
    identity.add_member(workspace=other_workspace, user=outsider, role="admin")
    client.force_login(outsider)
    assert client.get(_url(workspace, store, note.id)).status_code == 404


def test_it_needs_a_login(client, workspace, store, note):
    r = client.get(_url(workspace, store, note.id))
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_the_memory_page_links_to_its_history(vic_viewer, workspace, store, note):
    r = vic_viewer.get(f"/w/{workspace.id}/stores/{store.id}/memories/{note.id}")
    assert _url(workspace, store, note.id).encode() in r.content


def _version_url(workspace, store, memory_id, version_id):
    return f"/w/{workspace.id}/stores/{store.id}/memories/{memory_id}/versions/{version_id}"


def test_the_version_page_shows_an_old_version_escaped(vic_viewer, workspace, store, note):
    first = note.head_version_id
    update_memory(store=store, memory_id=note.id, actor=Actor(user_id="user_x"),
                  content="<script>alert(1)</script>")
    second = note.__class__.objects.get(pk=note.pk).head_version_id
    r = vic_viewer.get(_version_url(workspace, store, note.id, first))
    assert r.status_code == 200
    assert b"Restart with care." in r.content
    assert f"?a={first}&amp;b={second}".encode() in r.content  # compare with current
    r = vic_viewer.get(_version_url(workspace, store, note.id, second))
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in r.content and b"<script>alert(1)" not in r.content


def test_the_version_page_of_a_deletion_has_no_content(vic_viewer, workspace, store, note):
    deleted = delete_memory(store=store, memory_id=note.id, actor=Actor(user_id="user_x"))
    r = vic_viewer.get(_version_url(workspace, store, note.id, deleted.deleted_version_id))
    assert r.status_code == 200
    assert b"records a deletion" in r.content


def test_the_version_page_refuses_other_versions(vic_viewer, workspace, store, note, foreign_store, writer_actor):
    other = create_memory(store=store, path="/other.md", content="x", actor=writer_actor)
    foreign = create_memory(store=foreign_store, path="/x.md", content="secret", actor=writer_actor)
    assert vic_viewer.get(_version_url(workspace, store, note.id, other.head_version_id)).status_code == 404
    assert vic_viewer.get(_version_url(workspace, store, note.id, foreign.head_version_id)).status_code == 404
    assert vic_viewer.get(_version_url(workspace, store, note.id, "memver_nope")).status_code == 404
