"""Many SDK clients at once against the live (threaded) server: no lost update, no duplicate
path, never more memories than the limit, and no 500s. Each thread has its own client with
`max_retries=0`, so every call is exactly one request, and every loop is bounded."""

import threading
from concurrent.futures import ThreadPoolExecutor

import anthropic
import pytest

from memory import identity
from memory import store as memory_store
from memory.access import Actor
from memory.blobs import sha256_of
from memory.models import Agent, Blob, Grant, Memory, MemoryStore, MemoryVersion, Operation

THREADS = 16
ROUNDS = 3  # tokens each thread appends in the read-modify-write test


def run_together(count, work):
    """Run work(i) for i in range(count) on `count` threads released at the same moment.

    An exception in any thread is re-raised here, so an unexpected status (a 500, a
    "database is locked") fails the test with its own message.
    """
    barrier = threading.Barrier(count, timeout=60)

    def start(i):
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(start, i) for i in range(count)]
        return [future.result(timeout=300) for future in futures]


@pytest.fixture
def actor(admin_key):
    return Actor(api_key_id=admin_key.key.id)


@pytest.fixture
def clients(sdk, admin_key):
    return [sdk(admin_key.secret, timeout=120) for _ in range(THREADS)]


def _versions_oldest_first(client, store_id, memory_id):
    """Every version of a memory through the SDK (full view pages hold at most 20)."""
    pages = client.beta.memory_stores.memory_versions.list(store_id, memory_id=memory_id, view="full")
    return list(reversed(list(pages)))


def test_read_modify_write_with_preconditions_loses_no_update(clients, store, actor):
    memory = memory_store.create_memory(store=store, path="/log.md", content="", actor=actor)
    total = THREADS * ROUNDS
    # Each failed attempt means another writer succeeded since our read, so `total` attempts
    # per token always suffice; giving up would mean a writer starved or a conflict was wrong.
    max_attempts = total

    def work(i):
        memories = clients[i].beta.memory_stores.memories
        done, conflicts, gave_up = [], 0, []
        for k in range(ROUNDS):
            token = f"<t{i:02d}.{k}>"
            for _ in range(max_attempts):
                current = memories.retrieve(memory.id, memory_store_id=store.id)
                try:
                    updated = memories.update(
                        memory.id,
                        memory_store_id=store.id,
                        content=current.content + token + "\n",
                        precondition={"type": "content_sha256", "content_sha256": current.content_sha256},
                    )
                except anthropic.ConflictError as exc:
                    assert exc.type == "memory_precondition_failed_error", exc.body
                    conflicts += 1
                    continue
                done.append((token, updated.memory_version_id, updated.content_sha256))
                break
            else:
                gave_up.append(token)
        return done, conflicts, gave_up

    results = run_together(THREADS, work)

    successes = [entry for done, _, _ in results for entry in done]
    assert [token for _, _, gave_up in results for token in gave_up] == []
    assert len(successes) == total
    # The race really happened: some writers read content that changed before they wrote.
    assert sum(conflicts for _, conflicts, _ in results) > 0
    # Database: every token exactly once, one `modified` version per successful update.
    stored = Memory.objects.select_related("blob").get(id=memory.id)
    content = bytes(stored.blob.data).decode()
    tokens = content.splitlines()
    assert sorted(tokens) == sorted(token for token, _, _ in successes)
    assert len(set(tokens)) == total
    modified = MemoryVersion.objects.filter(memory_id=memory.id, operation=Operation.MODIFIED)
    assert modified.count() == total
    assert set(modified.values_list("id", flat=True)) == {version_id for _, version_id, _ in successes}
    assert stored.blob_id == sha256_of(content)
    # History: each version's content is the previous one plus exactly one token.
    history = _versions_oldest_first(clients[0], store.id, memory.id)
    assert [v.operation for v in history] == ["created"] + ["modified"] * total
    assert history[0].content == ""
    for previous, version in zip(history, history[1:]):
        assert version.content.startswith(previous.content)
        added = version.content[len(previous.content) :]
        assert added.count("\n") == 1 and added.endswith("\n")
    assert history[-1].id == stored.head_version_id
    assert history[-1].content == content


def test_unconditional_concurrent_updates_each_write_one_version(clients, store, actor):
    """Without a precondition the last writer wins, but every write is recorded and none is torn."""
    memory = memory_store.create_memory(store=store, path="/last.md", content="start", actor=actor)

    def work(i):
        return clients[i].beta.memory_stores.memories.update(
            memory.id, memory_store_id=store.id, content=f"writer {i}"
        ).memory_version_id

    written = run_together(THREADS, work)

    versions = MemoryVersion.objects.filter(memory_id=memory.id, operation=Operation.MODIFIED).order_by("seq")
    assert set(versions.values_list("id", flat=True)) == set(written)
    newest = versions.select_related("blob").last()
    stored = Memory.objects.get(id=memory.id)
    assert stored.head_version_id == newest.id
    assert stored.blob_id == newest.blob_id
    assert bytes(newest.blob.data).decode() in {f"writer {i}" for i in range(THREADS)}


def test_concurrent_creates_at_one_path_make_exactly_one_memory(clients, store):
    def work(i):
        try:
            return "created", clients[i].beta.memory_stores.memories.create(
                store.id, path="/race.md", content=f"writer {i}"
            )
        except anthropic.ConflictError as exc:
            return "conflict", exc

    outcomes = run_together(THREADS, work)

    winners = [result for kind, result in outcomes if kind == "created"]
    losers = [result for kind, result in outcomes if kind == "conflict"]
    assert len(winners) == 1
    assert len(losers) == THREADS - 1
    (winner,) = winners
    for exc in losers:
        assert exc.status_code == 409
        assert exc.type == "memory_path_conflict_error"
        assert exc.response.headers["x-should-retry"] == "false"
        assert exc.body["error"]["conflicting_memory_id"] == winner.id
    (stored,) = Memory.objects.filter(store=store)
    assert (stored.id, stored.path, stored.blob_id) == (winner.id, "/race.md", winner.content_sha256)
    assert MemoryVersion.objects.filter(store=store).count() == 1
    assert MemoryStore.objects.get(id=store.id).memory_count == 1


def test_concurrent_renames_to_one_path_rename_exactly_one(clients, store, actor):
    memories = [
        memory_store.create_memory(store=store, path=f"/drafts/{i}.md", content=str(i), actor=actor)
        for i in range(THREADS)
    ]

    def work(i):
        try:
            return "renamed", clients[i].beta.memory_stores.memories.update(
                memories[i].id, memory_store_id=store.id, path="/final.md"
            )
        except anthropic.ConflictError as exc:
            return "conflict", exc

    outcomes = run_together(THREADS, work)

    winners = [result for kind, result in outcomes if kind == "renamed"]
    losers = [result for kind, result in outcomes if kind == "conflict"]
    assert len(winners) == 1
    assert len(losers) == THREADS - 1
    (winner,) = winners
    assert all(exc.type == "memory_path_conflict_error" for exc in losers)
    assert all(exc.body["error"]["conflicting_memory_id"] == winner.id for exc in losers)
    assert list(Memory.objects.filter(store=store, path="/final.md").values_list("id", flat=True)) == [winner.id]
    assert Memory.objects.filter(store=store, path__startswith="/drafts/").count() == THREADS - 1
    assert MemoryVersion.objects.filter(store=store, operation=Operation.MODIFIED).count() == 1


def test_concurrent_creates_never_exceed_the_store_limit(settings, clients, store, actor):
    settings.REVERIE_MAX_MEMORIES_PER_STORE = 5
    for n in range(2):
        memory_store.create_memory(store=store, path=f"/prefilled/{n}.md", content="x", actor=actor)

    def work(i):
        try:
            return "created", clients[i].beta.memory_stores.memories.create(store.id, path=f"/new/{i}.md", content="y")
        except anthropic.BadRequestError as exc:
            return "refused", exc

    outcomes = run_together(THREADS, work)

    created = [result for kind, result in outcomes if kind == "created"]
    refused = [result for kind, result in outcomes if kind == "refused"]
    assert len(created) == 3
    assert len(refused) == THREADS - 3
    assert all(exc.type == "invalid_request_error" for exc in refused)
    assert Memory.objects.filter(store=store).count() == 5
    assert MemoryStore.objects.get(id=store.id).memory_count == 5
    assert set(Memory.objects.filter(store=store, path__startswith="/new/").values_list("id", flat=True)) == {
        m.id for m in created
    }
    assert MemoryVersion.objects.filter(store=store, operation=Operation.CREATED).count() == 5


def test_concurrent_creates_and_deletes_keep_the_count_exact(settings, clients, store, actor):
    settings.REVERIE_MAX_MEMORIES_PER_STORE = THREADS // 2
    doomed = [
        memory_store.create_memory(store=store, path=f"/old/{n}.md", content=str(n), actor=actor)
        for n in range(THREADS // 2)
    ]

    def work(i):
        memories = clients[i].beta.memory_stores.memories
        if i % 2:
            memories.delete(doomed[i // 2].id, memory_store_id=store.id)
            return "deleted"
        try:
            memories.create(store.id, path=f"/new/{i}.md", content=str(i))
            return "created"
        except anthropic.BadRequestError:
            return "refused"

    outcomes = run_together(THREADS, work)

    count = Memory.objects.filter(store=store).count()
    assert MemoryStore.objects.get(id=store.id).memory_count == count
    assert count <= THREADS // 2
    assert outcomes.count("deleted") == THREADS // 2
    assert count == outcomes.count("created")
    assert not Memory.objects.filter(store=store, path__startswith="/old/").exists()


def test_concurrent_deletes_of_one_memory_delete_it_once(clients, store, actor):
    memory = memory_store.create_memory(store=store, path="/once.md", content="x", actor=actor)

    def work(i):
        try:
            clients[i].beta.memory_stores.memories.delete(memory.id, memory_store_id=store.id)
            return 200
        except anthropic.NotFoundError:
            return 404

    statuses = run_together(THREADS, work)

    assert sorted(statuses) == [200] + [404] * (THREADS - 1)
    assert not Memory.objects.filter(id=memory.id).exists()
    assert MemoryVersion.objects.filter(memory_id=memory.id, operation=Operation.DELETED).count() == 1
    assert MemoryStore.objects.get(id=store.id).memory_count == 0


def test_concurrent_redactions_of_one_version_agree(clients, store, actor):
    memory = memory_store.create_memory(store=store, path="/r.md", content="secret", actor=actor)
    first_version_id = memory.head_version_id
    memory_store.update_memory(store=store, memory_id=memory.id, content="public", actor=actor)

    def work(i):
        return clients[i].beta.memory_stores.memory_versions.redact(
            first_version_id, memory_store_id=store.id
        ).to_dict()

    results = run_together(THREADS, work)

    assert all(result == results[0] for result in results)
    assert results[0]["content_sha256"] is None
    version = MemoryVersion.objects.get(id=first_version_id)
    assert version.redacted_at is not None
    assert version.blob_id is None


def test_concurrent_creates_of_the_same_content_share_one_blob(clients, store):
    def work(i):
        return clients[i].beta.memory_stores.memories.create(store.id, path=f"/same/{i}.md", content="shared text")

    created = run_together(THREADS, work)

    assert {m.content_sha256 for m in created} == {sha256_of("shared text")}
    assert Memory.objects.filter(store=store, blob_id=sha256_of("shared text")).count() == THREADS
    assert Blob.objects.filter(sha256=sha256_of("shared text")).count() == 1


def test_redaction_garbage_collection_never_drops_content_a_concurrent_write_takes(clients, store, actor):
    """Redacting frees each old content while other writers store that same content again:
    the collector may delete a blob only if nothing references it once both have committed."""
    pairs = THREADS // 2
    old_versions = []
    for k in range(pairs):
        memory = memory_store.create_memory(store=store, path=f"/orig/{k}.md", content=f"content {k}", actor=actor)
        old_versions.append(memory.head_version_id)
        memory_store.update_memory(store=store, memory_id=memory.id, content=f"later {k}", actor=actor)

    def work(i):
        k = i // 2
        if i % 2:
            return clients[i].beta.memory_stores.memory_versions.redact(old_versions[k], memory_store_id=store.id)
        return clients[i].beta.memory_stores.memories.create(store.id, path=f"/copy/{k}.md", content=f"content {k}")

    run_together(THREADS, work)

    for k in range(pairs):
        copy = Memory.objects.get(store=store, path=f"/copy/{k}.md")
        assert copy.blob_id == sha256_of(f"content {k}")
        blob = Blob.objects.get(sha256=copy.blob_id)
        assert bytes(blob.data).decode() == f"content {k}"
        assert MemoryVersion.objects.get(id=old_versions[k]).blob_id is None
        fetched = clients[0].beta.memory_stores.memories.retrieve(copy.id, memory_store_id=store.id)
        assert fetched.content == f"content {k}"


def test_concurrent_agents_with_one_name_make_one_agent(clients, workspace):
    def work(i):
        try:
            return "created", clients[i].post("/v1/agents", body={"name": "racer"}, cast_to=object)
        except anthropic.ConflictError as exc:
            return "conflict", exc

    outcomes = run_together(THREADS, work)

    winners = [result for kind, result in outcomes if kind == "created"]
    losers = [result for kind, result in outcomes if kind == "conflict"]
    assert len(winners) == 1 and len(losers) == THREADS - 1
    assert all(exc.body["error"]["conflicting_agent_id"] == winners[0]["id"] for exc in losers)
    assert list(Agent.objects.filter(workspace=workspace, name="racer").values_list("id", flat=True)) == [
        winners[0]["id"]
    ]


def test_concurrent_grant_upserts_leave_one_grant(clients, workspace, store):
    agent = identity.create_agent(workspace=workspace, name="contested")
    choices = ["read_write", "read_only", "no_access"]

    def work(i):
        return clients[i].post(
            f"/v1/memory_stores/{store.id}/grants",
            body={"agent_id": agent.id, "access": choices[i % 3]},
            cast_to=object,
        )["access"]

    written = run_together(THREADS, work)

    grants = list(Grant.objects.filter(store=store, agent=agent).values_list("access", flat=True))
    assert len(grants) == 1
    assert grants[0] in written
