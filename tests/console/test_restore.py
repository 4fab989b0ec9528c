"""POST …/memories/<memory>/versions/<version>/restore: old content written back as a new version."""

from memory.access import Actor
from memory.blobs import read_blob
from memory.models import Memory, MemoryVersion
from memory.store import create_memory, delete_memory, update_memory
from memory.versions import redact_version

ACTOR = Actor(user_id="user_x")


def _url(workspace, store, memory_id, version_id):
    return f"/w/{workspace.id}/stores/{store.id}/memories/{memory_id}/versions/{version_id}/restore"


def _count(memory_id):
    return MemoryVersion.objects.filter(memory_id=memory_id).count()


def test_it_restores_old_content_as_a_new_version(olga_operator, workspace, store, note):
    first = note.head_version_id
    current = update_memory(store=store, memory_id=note.id, actor=ACTOR, content="rewritten")
    r = olga_operator.post(_url(workspace, store, note.id, first), {"expected_sha256": current.blob_id})
    assert r.status_code == 302
    assert r["Location"] == f"/w/{workspace.id}/stores/{store.id}/memories/{note.id}/history"
    memory = Memory.objects.select_related("blob").get(pk=note.pk)
    assert read_blob(memory.blob) == "# DB\n\nRestart with care."
    versions = list(MemoryVersion.objects.filter(memory_id=note.id).order_by("seq"))
    assert [v.operation for v in versions] == ["created", "modified", "modified"]  # appended, nothing rewritten
    assert versions[-1].id == memory.head_version_id and versions[-1].user_id


def test_a_stale_sha_is_a_conflict_and_overwrites_nothing(olga_operator, workspace, store, note):
    first = note.head_version_id
    seen = update_memory(store=store, memory_id=note.id, actor=ACTOR, content="seen by olga")
    update_memory(store=store, memory_id=note.id, actor=ACTOR, content="written meanwhile")
    r = olga_operator.post(_url(workspace, store, note.id, first), {"expected_sha256": seen.blob_id})
    assert r.status_code == 409
    assert b"nothing was restored" in r.content
    assert read_blob(Memory.objects.select_related("blob").get(pk=note.pk).blob) == "written meanwhile"
    assert _count(note.id) == 3


def test_a_missing_sha_is_refused(olga_operator, workspace, store, note):
    first = note.head_version_id
    update_memory(store=store, memory_id=note.id, actor=ACTOR, content="rewritten")
    r = olga_operator.post(_url(workspace, store, note.id, first), {})
    assert r.status_code == 400
    assert _count(note.id) == 2


def test_a_redacted_version_cannot_be_restored(olga_operator, workspace, store, note):
    first = note.head_version_id
    current = update_memory(store=store, memory_id=note.id, actor=ACTOR, content="rewritten")
    redact_version(store=store, version_id=first, actor=ACTOR)
    r = olga_operator.post(_url(workspace, store, note.id, first), {"expected_sha256": current.blob_id})
    assert r.status_code == 400
    assert b"was redacted" in r.content
    assert _count(note.id) == 2


def test_a_deletion_cannot_be_restored(olga_operator, workspace, store, note):
    deleted = delete_memory(store=store, memory_id=note.id, actor=ACTOR)
    r = olga_operator.post(_url(workspace, store, note.id, deleted.deleted_version_id), {"expected_sha256": "a" * 64})
    assert r.status_code == 400
    assert b"records a deletion" in r.content
    assert _count(note.id) == 2


def test_restoring_the_current_content_writes_nothing(olga_operator, workspace, store, note):
    r = olga_operator.post(_url(workspace, store, note.id, note.head_version_id), {"expected_sha256": note.blob_id})
    assert r.status_code == 302
    assert _count(note.id) == 1


def test_an_archived_store_refuses_with_a_message(olga_operator, workspace, store, note):
    from django.utils import timezone

    first = note.head_version_id
    current = update_memory(store=store, memory_id=note.id, actor=ACTOR, content="rewritten")
    store.__class__.objects.filter(pk=store.pk).update(archived_at=timezone.now())
    r = olga_operator.post(_url(workspace, store, note.id, first), {"expected_sha256": current.blob_id})
    assert r.status_code == 400
    assert b"archived" in r.content
    assert _count(note.id) == 2


def test_the_version_page_offers_restore_to_operators_only(olga_operator, vic_viewer, workspace, store, note):
    first = note.head_version_id
    update_memory(store=store, memory_id=note.id, actor=ACTOR, content="rewritten")
    page = f"/w/{workspace.id}/stores/{store.id}/memories/{note.id}/versions/{first}"
    r = olga_operator.get(page)
    assert r.status_code == 200
    assert _url(workspace, store, note.id, first).encode() in r.content
    assert b"csrfmiddlewaretoken" in r.content
    assert b"Restart with care." in r.content
    r = vic_viewer.get(page)
    assert r.status_code == 200
    assert _url(workspace, store, note.id, first).encode() not in r.content


def test_viewers_may_not_restore(vic_viewer, workspace, store, note):
    first = note.head_version_id
    current = update_memory(store=store, memory_id=note.id, actor=ACTOR, content="rewritten")
    r = vic_viewer.post(_url(workspace, store, note.id, first), {"expected_sha256": current.blob_id})
    assert r.status_code == 403
    assert _count(note.id) == 2


def test_get_is_not_allowed(olga_operator, workspace, store, note):
    assert olga_operator.get(_url(workspace, store, note.id, note.head_version_id)).status_code == 405


def test_a_version_of_another_memory_is_a_404(olga_operator, workspace, store, note, writer_actor):
    other = create_memory(store=store, path="/other.md", content="other", actor=writer_actor)
    r = olga_operator.post(_url(workspace, store, note.id, other.head_version_id), {"expected_sha256": note.blob_id})
    assert r.status_code == 404
    assert _count(note.id) == 1


def test_another_workspace_is_a_404(olga_operator, other_workspace, foreign_store, writer_actor):
    foreign = create_memory(store=foreign_store, path="/x.md", content="secret", actor=writer_actor)
    r = olga_operator.post(_url(other_workspace, foreign_store, foreign.id, foreign.head_version_id),
                           {"expected_sha256": foreign.blob_id})
    assert r.status_code == 404


def test_restoring_a_version_of_a_deleted_memory_brings_it_back_under_its_id(olga_operator, workspace, store, note):
    first = note.head_version_id
    delete_memory(store=store, memory_id=note.id, actor=ACTOR)
    r = olga_operator.post(_url(workspace, store, note.id, first), {})
    assert r.status_code == 302
    memory = Memory.objects.select_related("blob").get(pk=note.pk)
    assert memory.path == "/runbooks/db.md" and read_blob(memory.blob) == "# DB\n\nRestart with care."
    assert [v.operation for v in MemoryVersion.objects.filter(memory_id=note.id).order_by("seq")] == [
        "created", "deleted", "created"]


def test_a_deleted_memory_whose_path_was_taken_is_not_brought_back(olga_operator, workspace, store, note):
    first = note.head_version_id
    delete_memory(store=store, memory_id=note.id, actor=ACTOR)
    newcomer = create_memory(store=store, path=note.path, content="newcomer", actor=ACTOR)
    r = olga_operator.post(_url(workspace, store, note.id, first), {})
    assert r.status_code == 409
    assert not Memory.objects.filter(pk=note.pk).exists()
    assert read_blob(Memory.objects.select_related("blob").get(pk=newcomer.pk).blob) == "newcomer"
