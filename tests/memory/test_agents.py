"""/v1/agents and /v1/agents/{id}/api_keys (admin keys only), through the SDK's generic methods."""

import anthropic
import pytest

from memory import identity, stores
from memory.identity import hash_secret
from memory.models import Access, Agent, ApiKey, MemoryVersion


def test_it_creates_an_agent(admin, workspace):
    agent = admin.post("/v1/agents", body={"name": "planner", "description": "Plans things."}, cast_to=object)

    assert agent["type"] == "agent"
    assert agent["id"].startswith("agent_")
    assert agent["name"] == "planner"
    assert agent["description"] == "Plans things."
    assert agent["workspace_id"] == workspace.id
    assert agent["created_at"]
    row = Agent.objects.get(id=agent["id"])
    assert (row.workspace_id, row.name, row.description) == (workspace.id, "planner", "Plans things.")


def test_the_description_is_optional(admin):
    agent = admin.post("/v1/agents", body={"name": "terse"}, cast_to=object)

    assert agent["description"] == ""
    assert Agent.objects.get(id=agent["id"]).description == ""


def test_a_duplicate_name_is_a_409(admin, workspace):
    first = admin.post("/v1/agents", body={"name": "twin"}, cast_to=object)

    with pytest.raises(anthropic.ConflictError) as caught:
        admin.post("/v1/agents", body={"name": "twin"}, cast_to=object)

    assert caught.value.status_code == 409
    assert caught.value.response.headers["x-should-retry"] == "false"
    assert caught.value.body["error"]["conflicting_agent_id"] == first["id"]
    assert Agent.objects.filter(workspace=workspace, name="twin").count() == 1


def test_the_same_name_may_exist_in_another_workspace(admin, outsider, other_workspace):
    admin.post("/v1/agents", body={"name": "twin"}, cast_to=object)

    theirs = outsider.post("/v1/agents", body={"name": "twin"}, cast_to=object)

    assert theirs["workspace_id"] == other_workspace.id
    assert Agent.objects.filter(name="twin").count() == 2


@pytest.mark.parametrize(
    "body", [{}, {"name": ""}, {"name": None}, {"name": "x" * 256}, {"name": "ok", "description": 5}]
)
def test_an_invalid_agent_is_a_400(admin, body):
    with pytest.raises(anthropic.BadRequestError):
        admin.post("/v1/agents", body=body, cast_to=object)

    assert not Agent.objects.exists()


def test_it_lists_the_workspaces_agents_newest_first_in_pages(admin, workspace, other_workspace):
    made = [identity.create_agent(workspace=workspace, name=f"a{n}") for n in range(5)]
    identity.create_agent(workspace=other_workspace, name="foreign")

    pages = [admin.get("/v1/agents", options={"params": {"limit": 2}}, cast_to=object)]
    while pages[-1]["next_page"]:
        pages.append(
            admin.get("/v1/agents", options={"params": {"limit": 2, "page": pages[-1]["next_page"]}}, cast_to=object)
        )

    assert [len(p["data"]) for p in pages] == [2, 2, 1]
    assert pages[-1]["next_page"] is None
    listed = [a["id"] for p in pages for a in p["data"]]
    expected = Agent.objects.filter(workspace=workspace).order_by("-created_at", "-id").values_list("id", flat=True)
    assert listed == list(expected)
    assert set(listed) == {a.id for a in made}
    assert all(a["type"] == "agent" for p in pages for a in p["data"])


def test_it_retrieves_an_agent(admin, workspace):
    made = identity.create_agent(workspace=workspace, name="solo", description="alone")

    agent = admin.get(f"/v1/agents/{made.id}", cast_to=object)

    assert (agent["id"], agent["name"], agent["description"]) == (made.id, "solo", "alone")


def test_an_unknown_or_foreign_agent_is_a_404(admin, other_workspace):
    foreign = identity.create_agent(workspace=other_workspace, name="foreign")

    for agent_id in ("agent_doesnotexist", foreign.id):
        with pytest.raises(anthropic.NotFoundError):
            admin.get(f"/v1/agents/{agent_id}", cast_to=object)
        with pytest.raises(anthropic.NotFoundError):
            admin.post(f"/v1/agents/{agent_id}/api_keys", body={"name": "k"}, cast_to=object)

    assert not ApiKey.objects.filter(agent=foreign).exists()


def test_it_issues_an_agent_key_and_shows_the_secret_once(admin, workspace, sdk, store):
    agent = identity.create_agent(workspace=workspace, name="worker")
    stores.set_grant(store=store, agent_id=agent.id, access=Access.READ_WRITE)

    issued = admin.post(f"/v1/agents/{agent.id}/api_keys", body={"name": "worker key"}, cast_to=object)
    listed = admin.get(f"/v1/agents/{agent.id}/api_keys", cast_to=object)

    assert issued["type"] == "api_key"
    assert issued["id"].startswith("apikey_")
    assert (issued["agent_id"], issued["name"], issued["workspace_id"]) == (agent.id, "worker key", workspace.id)
    assert issued["secret"]
    row = ApiKey.objects.get(id=issued["id"])
    assert row.secret_hash == hash_secret(issued["secret"])
    assert issued["secret"] not in str(row.__dict__)
    assert [k["id"] for k in listed["data"]] == [issued["id"]]
    assert "secret" not in listed["data"][0]
    assert listed["next_page"] is None
    # The secret authenticates as the agent: its writes are attributed to the new key.
    created = sdk(issued["secret"]).beta.memory_stores.memories.create(store.id, path="/w.md", content="w")
    assert MemoryVersion.objects.get(id=created.memory_version_id).api_key_id == issued["id"]


def test_a_key_name_is_optional(admin, workspace):
    agent = identity.create_agent(workspace=workspace, name="worker")

    issued = admin.post(f"/v1/agents/{agent.id}/api_keys", cast_to=object)

    assert issued["name"]
    assert ApiKey.objects.get(id=issued["id"]).agent_id == agent.id


def test_an_agent_key_only_reaches_its_agents_grants(admin, workspace, sdk, store):
    granted = identity.create_agent(workspace=workspace, name="granted")
    stores.set_grant(store=store, agent_id=granted.id, access=Access.READ_ONLY)
    other = identity.create_agent(workspace=workspace, name="other")

    granted_client = sdk(admin.post(f"/v1/agents/{granted.id}/api_keys", body={}, cast_to=object)["secret"])
    other_client = sdk(admin.post(f"/v1/agents/{other.id}/api_keys", body={}, cast_to=object)["secret"])

    assert granted_client.beta.memory_stores.retrieve(store.id).id == store.id
    with pytest.raises(anthropic.PermissionDeniedError):
        granted_client.beta.memory_stores.memories.create(store.id, path="/a.md", content="a")
    with pytest.raises(anthropic.NotFoundError):
        other_client.beta.memory_stores.retrieve(store.id)
