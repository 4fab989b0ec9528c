"""GET/POST …/memories/<memory>/versions/<version>/redact: confirm, then empty a version (admin)."""

from memory.access import Actor
from memory.blobs import read_blob
from memory.errors import InvalidRequest
from memory.models import Memory, MemoryVersion
from memory.store import create_memory, update_memory

ACTOR = Actor(user_id="user_x")


def _url(workspace, store, memory_id, version_id):
    return f"/w/{workspace.id}/stores/{store.id}/memories/{memory_id}/versions/{version_id}/redact"


def test_it_asks_for_confirmation(alice_admin, workspace, store, note):
    r = alice_admin.get(_url(workspace, store, note.id, note.head_version_id))
    assert r.status_code == 200
    assert b"cannot be undone" in r.content and b"csrfmiddlewaretoken" in r.content
    assert MemoryVersion.objects.get(id=note.head_version_id).redacted_at is None


def test_it_redacts_on_post(alice_admin, workspace, store, note):
    first = note.head_version_id
    update_memory(store=store, memory_id=note.id, actor=ACTOR, content="safe now")
    r = alice_admin.post(_url(workspace, store, note.id, first))
    assert r.status_code == 302
    assert r["Location"] == f"/w/{workspace.id}/stores/{store.id}/memories/{note.id}/history"
    version = MemoryVersion.objects.get(id=first)
    assert version.redacted_at is not None and version.blob_id is None and version.path is None
    assert version.redacted_by["user_id"]  # names the console user
    # The version page no longer shows the content.
    r = alice_admin.get(f"/w/{workspace.id}/stores/{store.id}/memories/{note.id}/versions/{first}")
    assert r.status_code == 200
    assert b"Restart with care" not in r.content and b"was redacted" in r.content


def test_redacting_the_current_version_keeps_the_memory(alice_admin, workspace, store, note):
    r = alice_admin.get(_url(workspace, store, note.id, note.head_version_id))
    assert b"current version" in r.content
    r = alice_admin.post(_url(workspace, store, note.id, note.head_version_id))
    assert r.status_code == 302
    assert read_blob(Memory.objects.select_related("blob").get(pk=note.pk).blob) == "# DB\n\nRestart with care."


def test_redacting_twice_is_harmless(alice_admin, workspace, store, note):
    alice_admin.post(_url(workspace, store, note.id, note.head_version_id))
    stamp = MemoryVersion.objects.get(id=note.head_version_id).redacted_at
    r = alice_admin.post(_url(workspace, store, note.id, note.head_version_id))
    assert r.status_code == 302
    assert MemoryVersion.objects.get(id=note.head_version_id).redacted_at == stamp


def test_a_domain_refusal_is_a_message_not_a_500(alice_admin, workspace, store, note, monkeypatch):
    def refuse(**kwargs):
        raise InvalidRequest("Redaction is paused for this store.")

    monkeypatch.setattr("console.views.history.redact_version", refuse)
    r = alice_admin.post(_url(workspace, store, note.id, note.head_version_id))
    assert r.status_code == 400
    assert b"Redaction is paused" in r.content


def test_operators_may_not_redact(olga_operator, workspace, store, note):
    assert olga_operator.get(_url(workspace, store, note.id, note.head_version_id)).status_code == 403
    assert olga_operator.post(_url(workspace, store, note.id, note.head_version_id)).status_code == 403
    assert MemoryVersion.objects.get(id=note.head_version_id).redacted_at is None


def test_viewers_may_not_redact(vic_viewer, workspace, store, note):
    assert vic_viewer.post(_url(workspace, store, note.id, note.head_version_id)).status_code == 403
    assert MemoryVersion.objects.get(id=note.head_version_id).redacted_at is None


def test_only_admins_see_the_redact_link(alice_admin, olga_operator, workspace, store, note):
    page = f"/w/{workspace.id}/stores/{store.id}/memories/{note.id}/versions/{note.head_version_id}"
    assert _url(workspace, store, note.id, note.head_version_id).encode() in alice_admin.get(page).content
    assert _url(workspace, store, note.id, note.head_version_id).encode() not in olga_operator.get(page).content


def test_unknown_and_foreign_versions_are_a_404(alice_admin, workspace, store, note, foreign_store, writer_actor):
    assert alice_admin.post(_url(workspace, store, note.id, "memver_nope")).status_code == 404
    other = create_memory(store=store, path="/other.md", content="x", actor=writer_actor)
    assert alice_admin.post(_url(workspace, store, note.id, other.head_version_id)).status_code == 404
    assert MemoryVersion.objects.get(id=other.head_version_id).redacted_at is None
    foreign = create_memory(store=foreign_store, path="/x.md", content="secret", actor=writer_actor)
    assert alice_admin.post(_url(workspace, store, foreign.id, foreign.head_version_id)).status_code == 404
    assert alice_admin.post(_url(foreign_store.workspace, foreign_store, foreign.id,
                                 foreign.head_version_id)).status_code == 404
    assert MemoryVersion.objects.get(id=foreign.head_version_id).redacted_at is None


def test_a_superuser_may_redact(root_superuser, workspace, store, note):
    assert root_superuser.post(_url(workspace, store, note.id, note.head_version_id)).status_code == 302
    assert MemoryVersion.objects.get(id=note.head_version_id).redacted_at is not None
