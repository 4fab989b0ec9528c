from memory.access import Actor
from memory.models import Memory, MemoryVersion
from memory.store import update_memory


def _url(workspace, store, memory):
    return f"/w/{workspace.id}/stores/{store.id}/memories/{memory.id}/edit"


def test_it_shows_the_form_with_the_starting_sha(olga_operator, workspace, store, note):
    r = olga_operator.get(_url(workspace, store, note))
    assert r.status_code == 200
    assert f'name="expected_sha256" value="{note.blob_id}"'.encode() in r.content


def test_it_saves_an_edit_as_a_new_version(olga_operator, workspace, store, note):
    r = olga_operator.post(_url(workspace, store, note),
                           {"path": note.path, "content": "# DB\n\nNew text.", "expected_sha256": note.blob_id})
    assert r.status_code == 302
    note.refresh_from_db()
    assert bytes(note.blob.data) == b"# DB\n\nNew text."
    versions = MemoryVersion.objects.filter(memory_id=note.id).order_by("seq")
    assert [v.operation for v in versions] == ["created", "modified"]
    assert versions.last().user_id  # attributed to the console user


def test_it_renames(olga_operator, workspace, store, note):
    r = olga_operator.post(_url(workspace, store, note),
                           {"path": "/runbooks/database.md", "content": "# DB\n\nRestart with care.",
                            "expected_sha256": note.blob_id})
    assert r.status_code == 302
    note.refresh_from_db()
    assert note.path == "/runbooks/database.md"


def test_it_shows_a_conflict_instead_of_overwriting(olga_operator, workspace, store, note):
    stale_sha = note.blob_id
    update_memory(store=store, memory_id=note.id, actor=Actor(user_id="someone"), content="their text")
    r = olga_operator.post(_url(workspace, store, note),
                           {"path": note.path, "content": "my text", "expected_sha256": stale_sha})
    assert r.status_code == 409
    body = r.content.decode()
    assert "their text" in body and "my text" in body
    assert "<del>their</del>" in body and "<ins>my</ins>" in body  # the word-level diff
    note.refresh_from_db()
    assert bytes(note.blob.data) == b"their text"
    # Choosing "save mine" sends the current sha, so it succeeds as an explicit overwrite.
    r = olga_operator.post(_url(workspace, store, note),
                           {"path": note.path, "content": "my text", "expected_sha256": note.blob_id})
    assert r.status_code == 302
    note.refresh_from_db()
    assert bytes(note.blob.data) == b"my text"


def test_it_escapes_both_sides_of_a_conflict(olga_operator, workspace, store, note):
    stale_sha = note.blob_id
    update_memory(store=store, memory_id=note.id, actor=Actor(user_id="someone"), content="<script>alert(1)</script>")
    r = olga_operator.post(_url(workspace, store, note),
                           {"path": note.path, "content": "<img src=x onerror=alert(2)>", "expected_sha256": stale_sha})
    assert r.status_code == 409
    assert b"<script>alert(1)" not in r.content and b"<img src=x" not in r.content


def test_it_forbids_viewers(vic_viewer, workspace, store, note):
    assert vic_viewer.get(_url(workspace, store, note)).status_code == 403
    r = vic_viewer.post(_url(workspace, store, note), {"path": note.path, "content": "x", "expected_sha256": note.blob_id})
    assert r.status_code == 403
    assert MemoryVersion.objects.filter(memory_id=note.id).count() == 1


def test_it_shows_domain_errors(olga_operator, workspace, store, note):
    r = olga_operator.post(_url(workspace, store, note),
                           {"path": "relative/path", "content": "x", "expected_sha256": note.blob_id})
    assert r.status_code == 400
    assert b"must start with" in r.content
    assert Memory.objects.get(pk=note.pk).path == "/runbooks/db.md"


def test_browser_line_breaks_are_stored_as_written_by_agents(olga_operator, workspace, store, note):
    # Browsers submit textarea line breaks as CRLF; the memory keeps LF.
    r = olga_operator.post(_url(workspace, store, note), {"path": note.path, "content": "# DB\r\n\r\nRestart.\r\n",
                                                          "expected_sha256": note.blob_id})
    assert r.status_code == 302
    note.refresh_from_db()
    assert bytes(note.blob.data) == b"# DB\n\nRestart.\n"
