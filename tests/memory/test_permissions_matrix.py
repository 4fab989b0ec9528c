"""Every persona against every endpoint: the exact status, and that a denied call changed nothing.

Personas and what they may do with `store`:
  admin                    read_write (admin key of the store's workspace)
  agent_rw / agent_ro      their grant
  agent_none               grant no_access → the store does not exist for it (404)
  agent_default[X]         no grant; the store's default_agent_access is X
  outsider                 admin of another workspace → nothing of this workspace exists (404)

Store reads need read access; memory writes and redaction need read_write (403 when read-only);
store management, grants, agents and keys need an admin key (403 for agent keys on stores they
can see, 404 on stores they cannot).
"""

import hashlib
from dataclasses import dataclass
from typing import Any, Callable

import anthropic
import pytest

from memory import identity, stores
from memory import store as memory_store
from memory.access import Actor
from memory.identity import hash_secret
from memory.models import Agent, ApiKey, Blob, Grant, Memory, MemoryStore, MemoryVersion, Operation

PERSONAS = [
    ("admin", None),
    ("agent_rw", None),
    ("agent_ro", None),
    ("agent_none", None),
    ("agent_default", "read_write"),
    ("agent_default", "read_only"),
    ("agent_default", "no_access"),
    ("outsider", None),
]
PERSONA_IDS = [f"{name}[{default}]" if default else name for name, default in PERSONAS]
ACCESS = {"admin": "admin", "agent_rw": "read_write", "agent_ro": "read_only", "agent_none": "no_access"}

AGENTS_FORBIDDEN = {"read_write": 403, "read_only": 403, "no_access": 403}
# What each kind of endpoint answers, by the caller's effective access to `store`.
READ = {"admin": 200, "read_write": 200, "read_only": 200, "no_access": 404, "foreign": 404}
WRITE = {"admin": 200, "read_write": 200, "read_only": 403, "no_access": 404, "foreign": 404}
MANAGE = {"admin": 200, "read_write": 403, "read_only": 403, "no_access": 404, "foreign": 404}
# Workspace-level admin operations: an outsider acts in its own workspace.
IN_OWN_WORKSPACE = {"admin": 200, **AGENTS_FORBIDDEN, "foreign": 200}
ON_OUR_AGENT = {"admin": 200, **AGENTS_FORBIDDEN, "foreign": 404}


@dataclass
class World:
    workspace: Any
    store: Any
    memory: Any
    version_id: str
    target: Any  # an agent of the workspace with no grant, for grants and keys
    caller_workspace: Any = None
    caller_key_id: str = ""


@dataclass
class Endpoint:
    call: Callable
    expected: dict
    effect: Callable | None = None  # asserts what a successful call changed; None: a read, nothing changes


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# --- successful-call effects ------------------------------------------------------------------


def _store_renamed(w, result):
    assert result.name == "renamed"
    assert MemoryStore.objects.get(id=w.store.id).name == "renamed"


def _store_archived(w, result):
    assert result.archived_at is not None
    assert MemoryStore.objects.get(id=w.store.id).archived_at is not None


def _store_deleted(w, result):
    assert result.type == "memory_store_deleted"
    assert not MemoryStore.objects.filter(id=w.store.id).exists()
    assert not Memory.objects.filter(store_id=w.store.id).exists()
    assert not MemoryVersion.objects.filter(store_id=w.store.id).exists()


def _store_created(w, result):
    created = MemoryStore.objects.get(id=result.id)
    assert created.workspace_id == w.caller_workspace.id


def _memory_created(w, result):
    memory = Memory.objects.get(store=w.store, path="/new.md")
    assert result.id == memory.id
    version = MemoryVersion.objects.get(id=memory.head_version_id)
    assert (version.operation, version.api_key_id) == (Operation.CREATED, w.caller_key_id)


def _memory_updated(w, result):
    memory = Memory.objects.get(id=w.memory.id)
    assert memory.blob_id == _sha("changed") == result.content_sha256
    version = MemoryVersion.objects.get(id=memory.head_version_id)
    assert (version.operation, version.api_key_id) == (Operation.MODIFIED, w.caller_key_id)


def _memory_deleted(w, result):
    assert not Memory.objects.filter(id=w.memory.id).exists()
    version = MemoryVersion.objects.get(memory_id=w.memory.id, operation=Operation.DELETED)
    assert version.api_key_id == w.caller_key_id


def _version_redacted(w, result):
    version = MemoryVersion.objects.get(id=w.version_id)
    assert version.redacted_at is not None
    assert version.redacted_by == {"type": "api_actor", "api_key_id": w.caller_key_id}
    assert (version.path, version.blob_id) == (None, None)
    assert Memory.objects.get(id=w.memory.id).blob_id == _sha("original")


def _grant_set(w, result):
    assert result["agent_id"] == w.target.id
    assert result["access"] == "read_only"
    assert Grant.objects.get(store=w.store, agent=w.target).access == "read_only"


def _agent_created(w, result):
    agent = Agent.objects.get(id=result["id"])
    assert (agent.name, agent.workspace_id) == ("fresh", w.caller_workspace.id)


def _agents_listed(w, result):
    assert {a["id"] for a in result["data"]} == set(
        Agent.objects.filter(workspace=w.caller_workspace).values_list("id", flat=True)
    )


def _key_issued(w, result):
    key = ApiKey.objects.get(id=result["id"])
    assert (key.agent_id, key.name) == (w.target.id, "k")
    assert key.secret_hash == hash_secret(result["secret"])


ENDPOINTS = {
    "store_retrieve": Endpoint(lambda c, w: c.beta.memory_stores.retrieve(w.store.id), READ),
    "store_update": Endpoint(
        lambda c, w: c.beta.memory_stores.update(w.store.id, name="renamed"), MANAGE, _store_renamed
    ),
    "store_archive": Endpoint(lambda c, w: c.beta.memory_stores.archive(w.store.id), MANAGE, _store_archived),
    "store_delete": Endpoint(lambda c, w: c.beta.memory_stores.delete(w.store.id), MANAGE, _store_deleted),
    "store_create": Endpoint(
        lambda c, w: c.beta.memory_stores.create(name="another"), IN_OWN_WORKSPACE, _store_created
    ),
    "memory_create": Endpoint(
        lambda c, w: c.beta.memory_stores.memories.create(w.store.id, path="/new.md", content="new"),
        WRITE,
        _memory_created,
    ),
    "memory_retrieve": Endpoint(
        lambda c, w: c.beta.memory_stores.memories.retrieve(w.memory.id, memory_store_id=w.store.id), READ
    ),
    "memory_update": Endpoint(
        lambda c, w: c.beta.memory_stores.memories.update(w.memory.id, memory_store_id=w.store.id, content="changed"),
        WRITE,
        _memory_updated,
    ),
    "memory_list": Endpoint(lambda c, w: c.beta.memory_stores.memories.list(w.store.id), READ),
    "memory_delete": Endpoint(
        lambda c, w: c.beta.memory_stores.memories.delete(w.memory.id, memory_store_id=w.store.id),
        WRITE,
        _memory_deleted,
    ),
    "versions_list": Endpoint(lambda c, w: c.beta.memory_stores.memory_versions.list(w.store.id), READ),
    "version_retrieve": Endpoint(
        lambda c, w: c.beta.memory_stores.memory_versions.retrieve(w.version_id, memory_store_id=w.store.id), READ
    ),
    "version_redact": Endpoint(
        lambda c, w: c.beta.memory_stores.memory_versions.redact(w.version_id, memory_store_id=w.store.id),
        WRITE,
        _version_redacted,
    ),
    "grants_list": Endpoint(lambda c, w: c.get(f"/v1/memory_stores/{w.store.id}/grants", cast_to=object), MANAGE),
    "grants_set": Endpoint(
        lambda c, w: c.post(
            f"/v1/memory_stores/{w.store.id}/grants",
            body={"agent_id": w.target.id, "access": "read_only"},
            cast_to=object,
        ),
        MANAGE,
        _grant_set,
    ),
    "agents_create": Endpoint(
        lambda c, w: c.post("/v1/agents", body={"name": "fresh"}, cast_to=object), IN_OWN_WORKSPACE, _agent_created
    ),
    "agents_list": Endpoint(lambda c, w: c.get("/v1/agents", cast_to=object), IN_OWN_WORKSPACE, _agents_listed),
    "agents_retrieve": Endpoint(lambda c, w: c.get(f"/v1/agents/{w.target.id}", cast_to=object), ON_OUR_AGENT),
    "api_keys_create": Endpoint(
        lambda c, w: c.post(f"/v1/agents/{w.target.id}/api_keys", body={"name": "k"}, cast_to=object),
        ON_OUR_AGENT,
        _key_issued,
    ),
    "api_keys_list": Endpoint(lambda c, w: c.get(f"/v1/agents/{w.target.id}/api_keys", cast_to=object), ON_OUR_AGENT),
}


def snapshot(workspace) -> dict:
    """Everything a call could change in `workspace` (a key's last_used_at aside: reads record use)."""
    return {
        "stores": list(MemoryStore.objects.filter(workspace=workspace).order_by("id").values()),
        "memories": list(Memory.objects.filter(store__workspace=workspace).order_by("id").values()),
        "versions": list(MemoryVersion.objects.filter(store__workspace=workspace).order_by("seq").values()),
        "grants": list(Grant.objects.filter(store__workspace=workspace).order_by("id").values()),
        "agents": list(Agent.objects.filter(workspace=workspace).order_by("id").values()),
        "keys": list(
            ApiKey.objects.filter(workspace=workspace)
            .order_by("id")
            .values("id", "agent_id", "secret_hash", "revoked_at")
        ),
        "blobs": sorted(Blob.objects.values_list("sha256", flat=True)),
    }


@pytest.fixture
def world(workspace, store, admin_key):
    memory = memory_store.create_memory(
        store=store, path="/notes/a.md", content="original", actor=Actor(api_key_id=admin_key.key.id)
    )
    target = identity.create_agent(workspace=workspace, name="target")
    return World(workspace=workspace, store=store, memory=memory, version_id=memory.head_version_id, target=target)


def _persona(request, world, name, default):
    """The persona's client and its access class; sets the store's default for agent_default."""
    client = request.getfixturevalue(name)
    if default is not None:
        stores.update_store(store=world.store, default_agent_access=default)
    key = ApiKey.objects.select_related("workspace").get(secret_hash=hash_secret(client.api_key))
    world.caller_workspace = key.workspace
    world.caller_key_id = key.id
    access = default or ACCESS.get(name) or ("foreign" if name == "outsider" else "admin")
    return client, access


def _status_of(call):
    try:
        return 200, call()
    except anthropic.APIStatusError as exc:
        return exc.status_code, exc


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize(("persona", "default"), PERSONAS, ids=PERSONA_IDS)
def test_permission_matrix(request, world, persona, default, endpoint):
    client, access = _persona(request, world, persona, default)
    spec = ENDPOINTS[endpoint]
    before = snapshot(world.workspace)

    status, result = _status_of(lambda: spec.call(client, world))

    assert status == spec.expected[access], getattr(result, "body", result)
    if status == 403:
        assert isinstance(result, anthropic.PermissionDeniedError)
        assert result.type == "permission_error"
    if status == 404:
        assert isinstance(result, anthropic.NotFoundError)
        assert result.type == "not_found_error"
    if status != 200 or spec.effect is None or access == "foreign":
        assert snapshot(world.workspace) == before
    if status == 200 and spec.effect is not None:
        spec.effect(world, result)


@pytest.mark.parametrize(("persona", "default"), PERSONAS, ids=PERSONA_IDS)
def test_store_list_membership(request, world, persona, default):
    client, access = _persona(request, world, persona, default)
    before = snapshot(world.workspace)

    listed = {s.id for s in client.beta.memory_stores.list()}

    assert (world.store.id in listed) == (READ[access] == 200)
    assert snapshot(world.workspace) == before
