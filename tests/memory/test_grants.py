"""/v1/memory_stores/{id}/grants and default_agent_access: who may touch which store, live."""

import anthropic
import pytest

from memory import identity, stores
from memory.models import Access, Grant, MemoryStore


def _grants_url(store_id):
    return f"/v1/memory_stores/{store_id}/grants"


def _set_grant(admin, store_id, agent_id, access):
    return admin.post(_grants_url(store_id), body={"agent_id": agent_id, "access": access}, cast_to=object)


def _status(call):
    try:
        call()
    except anthropic.APIStatusError as exc:
        return exc.status_code
    return 200


@pytest.fixture
def newcomer_key(workspace):
    """An agent with no grant, and its key's secret."""
    agent = identity.create_agent(workspace=workspace, name="late")
    return agent, identity.issue_api_key(workspace=workspace, name="late key", agent=agent).secret


def test_it_sets_a_grant(admin, store, newcomer_key):
    agent, _ = newcomer_key

    grant = _set_grant(admin, store.id, agent.id, "read_only")

    assert grant["type"] == "memory_store_grant"
    assert grant["memory_store_id"] == store.id
    assert grant["agent_id"] == agent.id
    assert grant["access"] == "read_only"
    assert Grant.objects.get(store=store, agent=agent).access == Access.READ_ONLY


def test_setting_a_grant_again_replaces_it(admin, store, newcomer_key):
    agent, _ = newcomer_key
    _set_grant(admin, store.id, agent.id, "read_only")

    grant = _set_grant(admin, store.id, agent.id, "read_write")

    assert grant["access"] == "read_write"
    assert list(Grant.objects.filter(store=store, agent=agent).values_list("access", flat=True)) == ["read_write"]
    listed = admin.get(_grants_url(store.id), cast_to=object)["data"]
    assert [(g["agent_id"], g["access"]) for g in listed] == [(agent.id, "read_write")]


def test_it_lists_a_stores_grants(admin, store, agent_rw, agent_ro, agent_none, agent_default):
    page = admin.get(_grants_url(store.id), cast_to=object)

    assert page["next_page"] is None
    assert {(g["agent_id"], g["access"]) for g in page["data"]} == {
        (agent_rw.agent.id, "read_write"),
        (agent_ro.agent.id, "read_only"),
        (agent_none.agent.id, "no_access"),
    }
    assert all(g["type"] == "memory_store_grant" and g["memory_store_id"] == store.id for g in page["data"])
    assert agent_default.agent.id not in {g["agent_id"] for g in page["data"]}


@pytest.mark.parametrize(
    "body",
    [
        {"access": "read_only"},
        {"agent_id": None, "access": "read_only"},
        {"agent_id": "AGENT", "access": "admin"},
        {"agent_id": "AGENT"},
    ],
    ids=["no-agent", "null-agent", "bad-access", "no-access"],
)
def test_an_invalid_grant_is_a_400(admin, store, newcomer_key, body):
    agent, _ = newcomer_key
    body = {k: (agent.id if v == "AGENT" else v) for k, v in body.items()}

    with pytest.raises(anthropic.BadRequestError):
        admin.post(_grants_url(store.id), body=body, cast_to=object)

    assert not Grant.objects.filter(store=store).exists()


def test_a_grant_for_an_unknown_agent_is_a_404(admin, store):
    with pytest.raises(anthropic.NotFoundError):
        _set_grant(admin, store.id, "agent_doesnotexist", "read_only")

    assert not Grant.objects.filter(store=store).exists()


def test_a_grant_for_another_workspaces_agent_is_a_404(admin, store, other_workspace):
    foreign = identity.create_agent(workspace=other_workspace, name="spy")

    with pytest.raises(anthropic.NotFoundError):
        _set_grant(admin, store.id, foreign.id, "read_write")

    assert not Grant.objects.filter(agent=foreign).exists()


def test_a_grant_on_another_workspaces_store_is_a_404(outsider, store, newcomer_key):
    agent, _ = newcomer_key

    with pytest.raises(anthropic.NotFoundError):
        _set_grant(outsider, store.id, agent.id, "read_write")
    with pytest.raises(anthropic.NotFoundError):
        outsider.get(_grants_url(store.id), cast_to=object)

    assert not Grant.objects.filter(store=store).exists()


def test_a_grant_change_applies_to_the_keys_next_request(sdk, admin, store, newcomer_key):
    agent, secret = newcomer_key
    client = sdk(secret)
    memories = client.beta.memory_stores.memories
    read = lambda: client.beta.memory_stores.retrieve(store.id)  # noqa: E731

    assert _status(read) == 404

    _set_grant(admin, store.id, agent.id, "read_only")
    assert _status(read) == 200
    assert _status(lambda: memories.create(store.id, path="/a.md", content="a")) == 403

    _set_grant(admin, store.id, agent.id, "read_write")
    created = memories.create(store.id, path="/a.md", content="a")
    assert created.path == "/a.md"

    _set_grant(admin, store.id, agent.id, "no_access")
    assert _status(read) == 404
    assert _status(lambda: memories.retrieve(created.id, memory_store_id=store.id)) == 404
    assert store.id not in {s.id for s in client.beta.memory_stores.list()}


def test_a_grant_overrides_the_default(sdk, admin, workspace, newcomer_key):
    agent, secret = newcomer_key
    client = sdk(secret)
    open_store = stores.create_store(workspace=workspace, name="open", default_agent_access=Access.READ_WRITE)

    _set_grant(admin, open_store.id, agent.id, "no_access")

    assert _status(lambda: client.beta.memory_stores.retrieve(open_store.id)) == 404
    assert open_store.id not in {s.id for s in client.beta.memory_stores.list()}


def test_default_agent_access_is_set_on_create_and_read_back(admin):
    created = admin.beta.memory_stores.create(name="shared", extra_body={"default_agent_access": "read_only"})

    fetched = admin.beta.memory_stores.retrieve(created.id)
    listed = {s.id: s for s in admin.beta.memory_stores.list()}

    assert created.to_dict()["default_agent_access"] == "read_only"
    assert fetched.to_dict()["default_agent_access"] == "read_only"
    assert listed[created.id].to_dict()["default_agent_access"] == "read_only"
    assert MemoryStore.objects.get(id=created.id).default_agent_access == Access.READ_ONLY


def test_default_agent_access_defaults_to_no_access(admin):
    created = admin.beta.memory_stores.create(name="private")

    assert created.to_dict()["default_agent_access"] == "no_access"
    assert MemoryStore.objects.get(id=created.id).default_agent_access == Access.NO_ACCESS


def test_an_invalid_default_agent_access_is_a_400(admin, store):
    with pytest.raises(anthropic.BadRequestError):
        admin.beta.memory_stores.create(name="bad", extra_body={"default_agent_access": "everyone"})
    with pytest.raises(anthropic.BadRequestError):
        admin.beta.memory_stores.update(store.id, extra_body={"default_agent_access": "everyone"})

    assert MemoryStore.objects.filter(name="bad").count() == 0
    assert MemoryStore.objects.get(id=store.id).default_agent_access == Access.NO_ACCESS


def test_updating_the_default_applies_to_agents_without_a_grant(admin, agent_default, agent_none, store):
    read = lambda client: _status(lambda: client.beta.memory_stores.retrieve(store.id))  # noqa: E731
    write = lambda client: _status(  # noqa: E731
        lambda: client.beta.memory_stores.memories.create(store.id, path=f"/{client.agent.name}.md", content="x")
    )
    assert read(agent_default) == 404

    updated = admin.beta.memory_stores.update(store.id, extra_body={"default_agent_access": "read_only"})
    assert updated.to_dict()["default_agent_access"] == "read_only"
    assert MemoryStore.objects.get(id=store.id).default_agent_access == Access.READ_ONLY
    assert (read(agent_default), write(agent_default)) == (200, 403)

    admin.beta.memory_stores.update(store.id, extra_body={"default_agent_access": "read_write"})
    assert (read(agent_default), write(agent_default)) == (200, 200)
    # An explicit no_access grant still wins over the default.
    assert (read(agent_none), write(agent_none)) == (404, 404)


def test_an_agent_cannot_change_the_default(agent_rw, store):
    with pytest.raises(anthropic.PermissionDeniedError):
        agent_rw.beta.memory_stores.update(store.id, extra_body={"default_agent_access": "read_write"})

    assert MemoryStore.objects.get(id=store.id).default_agent_access == Access.NO_ACCESS


def test_an_agents_store_list_shows_exactly_the_stores_it_may_read(
    sdk, admin, workspace, other_workspace, newcomer_key
):
    agent, secret = newcomer_key
    make = lambda name, default=Access.NO_ACCESS: stores.create_store(  # noqa: E731
        workspace=workspace, name=name, default_agent_access=default
    )
    granted_rw, granted_ro, granted_none = make("rw"), make("ro"), make("none")
    default_ro, default_rw = make("d-ro", Access.READ_ONLY), make("d-rw", Access.READ_WRITE)
    default_none = make("d-none")
    overridden_open, overridden_closed = make("open-but-none", Access.READ_WRITE), make("closed-but-rw")
    archived = make("archived")
    foreign = stores.create_store(workspace=other_workspace, name="foreign", default_agent_access=Access.READ_WRITE)
    for target, access in [
        (granted_rw, Access.READ_WRITE),
        (granted_ro, Access.READ_ONLY),
        (granted_none, Access.NO_ACCESS),
        (overridden_open, Access.NO_ACCESS),
        (overridden_closed, Access.READ_WRITE),
        (archived, Access.READ_ONLY),
    ]:
        stores.set_grant(store=target, agent_id=agent.id, access=access)
    stores.archive_store(store=archived)
    client = sdk(secret)

    listed = {s.id for s in client.beta.memory_stores.list(limit=2)}
    with_archived = {s.id for s in client.beta.memory_stores.list(include_archived=True)}

    readable = {granted_rw.id, granted_ro.id, default_ro.id, default_rw.id, overridden_closed.id}
    assert listed == readable
    assert with_archived == readable | {archived.id}
    hidden = {granted_none.id, default_none.id, overridden_open.id, foreign.id}
    for store_id in hidden:
        assert _status(lambda: client.beta.memory_stores.retrieve(store_id)) == 404
    for store_id in readable:
        assert client.beta.memory_stores.retrieve(store_id).id == store_id
    # The admin of the workspace sees all of its stores, and no other workspace's.
    everything_here = set(MemoryStore.objects.filter(workspace=workspace).values_list("id", flat=True))
    assert everything_here == readable | (hidden - {foreign.id}) | {archived.id}
    assert {s.id for s in admin.beta.memory_stores.list(include_archived=True)} == everything_here
