from memory.access import Actor
from memory.blobs import put_blob
from memory.models import Blob
from memory.store import create_memory
from memory.tasks import sweep_orphan_blobs
from tests.worker import running_worker, wait_for


def test_it_deletes_only_unreferenced_blobs(store):
    kept = create_memory(store=store, path="/kept.md", content="still here", actor=Actor())
    orphan, _ = put_blob("left behind by a process killed before its cleanup")

    assert sweep_orphan_blobs() == 1

    assert not Blob.objects.filter(sha256=orphan).exists()
    assert Blob.objects.filter(sha256=kept.blob_id).exists()


def test_it_runs_on_a_real_worker_through_the_configured_broker(store):
    orphan, _ = put_blob("orphaned content")

    with running_worker():
        sweep_orphan_blobs.delay()
        gone = wait_for(lambda: not Blob.objects.filter(sha256=orphan).exists())

    assert gone, "the worker did not run the sweep"
