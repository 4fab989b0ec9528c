from memory.access import Actor
from memory.models import Memory, MemoryVersion
from memory.store import update_memory


def _url(workspace, store, memory):
    return f"/w/{workspace.id}/stores/{store.id}/memories/{memory.id}/delete"


def test_it_deletes_and_keeps_history(olga_operator, workspace, store, note):
    r = olga_operator.post(_url(workspace, store, note), {"expected_sha256": note.blob_id})
    assert r.status_code == 302
    assert r["Location"] == f"/w/{workspace.id}/stores/{store.id}/?prefix=%2Frunbooks%2F"
    assert not Memory.objects.filter(pk=note.pk).exists()
    assert MemoryVersion.objects.filter(memory_id=note.id, operation="deleted").exists()


def test_it_does_not_delete_a_changed_memory(olga_operator, workspace, store, note):
    stale_sha = note.blob_id
    update_memory(store=store, memory_id=note.id, actor=Actor(user_id="someone"), content="newer")
    r = olga_operator.post(_url(workspace, store, note), {"expected_sha256": stale_sha})
    assert r.status_code == 302
    assert Memory.objects.filter(pk=note.pk).exists()


def test_it_refuses_get(olga_operator, workspace, store, note):
    assert olga_operator.get(_url(workspace, store, note)).status_code == 405
    assert Memory.objects.filter(pk=note.pk).exists()


def test_it_forbids_viewers(vic_viewer, workspace, store, note):
    assert vic_viewer.post(_url(workspace, store, note), {"expected_sha256": note.blob_id}).status_code == 403
    assert Memory.objects.filter(pk=note.pk).exists()
