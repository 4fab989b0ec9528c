"""client.beta.dreams against Reverie: create, retrieve, list, cancel, archive, and every 400/403/404/409."""

import anthropic
import pytest

from dreams import runner
from dreams.models import Dream, DreamStatus
from memory import identity, stores
from tests.dreams.factories import make_session


@pytest.fixture
def sessions(workspace):
    agent = identity.create_agent(workspace=workspace, name="worker-bee")
    return [make_session(workspace, agent, title=f"s{i}").id for i in range(3)]


def inputs(store, session_ids):
    return [{"type": "memory_store", "memory_store_id": store.id}, {"type": "sessions", "session_ids": session_ids}]


def test_it_creates_a_pending_dream_shaped_like_the_hosted_one(admin, store, sessions):
    dream = admin.beta.dreams.create(inputs=inputs(store, list(reversed(sessions))), model="reverie-offline")

    assert dream.id.startswith("drm_")
    assert dream.status == "pending"
    assert dream.outputs == [] and dream.error is None and dream.ended_at is None and dream.archived_at is None
    assert dream.model.id == "reverie-offline" and dream.model.speed == "standard"
    assert dream.output_behavior.type == "create_new"
    assert dream.inputs[1].session_ids == sorted(sessions)
    assert dream.usage.input_tokens == 0 and dream.usage.output_tokens == 0
    assert dream._request_id.startswith("req_")
    assert Dream.objects.get(id=dream.id).status == DreamStatus.PENDING


@pytest.mark.parametrize("body, message", [
    ({"inputs": []}, "exactly one `memory_store`"),
    ({"inputs": "x"}, "must be a list"),
    ({"inputs": [{"type": "memory_store", "memory_store_id": "S"}]}, "exactly one `sessions`"),
    ({"session_ids": []}, "1 to 100"),
    ({"session_ids": ["a"] * 2}, "must not repeat"),
    ({"session_ids": [f"sesn_{i}" for i in range(101)]}, "1 to 100"),
    ({"instructions": ""}, "1 to 4096"),
    ({"instructions": "x" * 4097}, "1 to 4096"),
    ({"model": {"id": "reverie-offline", "speed": "fast"}}, "speed"),
    ({"model": ""}, "1 to 256"),
    ({"model": "gpt-9"}, "cannot run on this server"),
    ({"output_behavior": {"type": "update_existing", "memory_store_id": "memstore_other"}}, "input memory store"),
    ({"output_behavior": {"type": "sideways"}}, "create_new"),
    ({"budget_tokens": 0}, "integer from 1 to"),
    ({"session_filter": {"min_score": 2}}, "0 to 1"),
    ({"session_filter": {"bogus": 1}}, "unknown fields"),
])
def test_it_refuses_invalid_requests_with_400(admin, store, sessions, body, message):
    request = {"inputs": inputs(store, sessions), "model": "reverie-offline"}
    if "session_ids" in body:
        request["inputs"] = inputs(store, body.pop("session_ids"))
    if body.get("inputs") is not None and isinstance(body["inputs"], list):
        body["inputs"] = [dict(i, memory_store_id=store.id) if i.get("type") == "memory_store" else i
                          for i in body["inputs"]]
    extra = {k: body.pop(k) for k in ("budget_tokens", "session_filter") if k in body}
    if "session_filter" in extra:
        request["inputs"] = request["inputs"][:1]
    request.update(body)

    with pytest.raises(anthropic.BadRequestError) as error:
        admin.beta.dreams.create(**request, extra_body=extra)

    assert message in error.value.body["error"]["message"]
    assert Dream.objects.count() == 0


def test_it_answers_404_for_unknown_sessions_and_stores(admin, store, sessions):
    with pytest.raises(anthropic.NotFoundError):
        admin.beta.dreams.create(inputs=inputs(store, sessions + ["sesn_missing"]), model="reverie-offline")
    with pytest.raises(anthropic.NotFoundError):
        admin.beta.dreams.create(inputs=[{"type": "memory_store", "memory_store_id": "memstore_nope"},
                                         {"type": "sessions", "session_ids": sessions}], model="reverie-offline")


def test_it_refuses_an_archived_store(admin, store, sessions):
    stores.archive_store(store=store)
    with pytest.raises(anthropic.BadRequestError):
        admin.beta.dreams.create(inputs=inputs(store, sessions), model="reverie-offline")


def test_agent_keys_cannot_dream(agent_rw, store, sessions):
    with pytest.raises(anthropic.PermissionDeniedError):
        agent_rw.beta.dreams.create(inputs=inputs(store, sessions), model="reverie-offline")


def test_another_workspace_sees_nothing(admin, outsider, store, sessions):
    dream = admin.beta.dreams.create(inputs=inputs(store, sessions), model="reverie-offline")
    with pytest.raises(anthropic.NotFoundError):
        outsider.beta.dreams.retrieve(dream.id)
    with pytest.raises(anthropic.NotFoundError):
        outsider.beta.dreams.create(inputs=inputs(store, sessions), model="reverie-offline")
    assert list(outsider.beta.dreams.list()) == []


def test_a_second_update_existing_dream_on_a_store_is_a_conflict(admin, store, sessions):
    behavior = {"type": "update_existing", "memory_store_id": store.id}
    first = admin.beta.dreams.create(inputs=inputs(store, sessions), model="reverie-offline", output_behavior=behavior)
    assert first.output_behavior.memory_store_id == store.id

    with pytest.raises(anthropic.ConflictError) as error:
        admin.beta.dreams.create(inputs=inputs(store, sessions), model="reverie-offline", output_behavior=behavior)

    assert error.value.response.headers["x-should-retry"] == "false"
    admin.beta.dreams.cancel(first.id)
    admin.beta.dreams.create(inputs=inputs(store, sessions), model="reverie-offline", output_behavior=behavior)


def test_cancel_and_archive_follow_the_lifecycle(admin, store, sessions):
    dream = admin.beta.dreams.create(inputs=inputs(store, sessions), model="reverie-offline")
    with pytest.raises(anthropic.BadRequestError):
        admin.beta.dreams.archive(dream.id)

    canceled = admin.beta.dreams.cancel(dream.id)
    assert canceled.status == "canceled" and canceled.ended_at is not None
    assert admin.beta.dreams.cancel(dream.id).status == "canceled"
    assert runner.run_dream(dream.id) == "not pending"

    archived = admin.beta.dreams.archive(dream.id)
    assert archived.archived_at is not None
    assert admin.beta.dreams.archive(dream.id).archived_at == archived.archived_at
    assert [d.id for d in admin.beta.dreams.list()] == []
    assert [d.id for d in admin.beta.dreams.list(include_archived=True)] == [dream.id]


def test_a_finished_dream_cannot_be_canceled(admin, store, sessions):
    dream = admin.beta.dreams.create(inputs=inputs(store, sessions), model="reverie-offline")
    runner.run_dream(dream.id)
    with pytest.raises(anthropic.BadRequestError):
        admin.beta.dreams.cancel(dream.id)
    assert admin.beta.dreams.retrieve(dream.id).status == "completed"


def test_list_is_newest_first_filters_by_status_and_pages(admin, store, sessions):
    ids = [admin.beta.dreams.create(inputs=inputs(store, sessions), model="reverie-offline").id for _ in range(5)]
    admin.beta.dreams.cancel(ids[0])

    assert [d.id for d in admin.beta.dreams.list(limit=2)] == list(reversed(ids))
    first_page = admin.beta.dreams.list(limit=2)
    assert len(first_page.data) == 2 and first_page.next_page
    assert [d.id for d in admin.beta.dreams.list(statuses=["canceled"])] == [ids[0]]
    assert len(list(admin.beta.dreams.list(statuses=["pending"]))) == 4
    with pytest.raises(anthropic.BadRequestError):
        admin.beta.dreams.list(statuses=["sleeping"])
    with pytest.raises(anthropic.BadRequestError):
        admin.beta.dreams.list(limit=101)


def test_a_claude_model_without_a_key_is_refused_saying_what_to_set(admin, store, sessions, monkeypatch):
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(anthropic.BadRequestError) as refused:
        admin.beta.dreams.create(inputs=inputs(store, sessions), model={"id": "claude-opus-5", "speed": "standard"})
    assert refused.value.status_code == 400
    assert "ANTHROPIC_API_KEY" in refused.value.message and "reverie-offline" in refused.value.message
    assert not Dream.objects.exists()


def test_an_operator_may_opt_into_offline_rules_for_claude_ids(admin, store, sessions, monkeypatch, settings):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    settings.REVERIE_CLAUDE_WITHOUT_KEY = "offline"
    dream = admin.beta.dreams.create(inputs=inputs(store, sessions), model={"id": "claude-opus-5", "speed": "standard"})
    body = admin.get(f"/v1/dreams/{dream.id}", cast_to=object)
    assert body["model"] == {"id": "claude-opus-5", "speed": "standard"}
    assert body["engine"] == "reverie-offline"


def test_the_list_costs_the_same_queries_whatever_the_number_of_dreams(client, admin_key, admin, store, sessions):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = {"Authorization": f"Bearer {admin_key.secret}"}
    for _ in range(2):
        runner.run_dream(admin.beta.dreams.create(inputs=inputs(store, sessions), model="reverie-offline").id)
    client.get("/v1/dreams", headers=headers)  # the key's first use records last_used_at

    with CaptureQueriesContext(connection) as few:
        assert len(client.get("/v1/dreams", headers=headers).json()["data"]) == 2
    for _ in range(6):
        runner.run_dream(admin.beta.dreams.create(inputs=inputs(store, sessions), model="reverie-offline").id)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/v1/dreams", headers=headers).json()["data"]) == 8

    assert len(many) == len(few)
