"""POST /v1/sessions (sessions.create): register a session for an agent, with its first events."""

import anthropic
import pytest

from dreams.models import Session, SessionEvent
from tests.dreams.factories import text_event


def test_it_creates_a_session_for_an_agent_id(admin, pilot, workspace):
    session = admin.beta.sessions.create(
        agent=pilot.agent.id, environment_id="env_ci", title="Deploy payments", metadata={"ticket": "OPS-12"}
    )

    assert session.id.startswith("sesn_")
    assert session.type == "session"
    assert session.agent.id == pilot.agent.id
    assert session.agent.name == "pilot"
    assert session.agent.type == "agent"
    assert session.agent.version == 1
    assert session.status == "idle"
    assert session.title == "Deploy payments"
    assert session.metadata == {"ticket": "OPS-12"}
    assert session.environment_id == "env_ci"
    assert session.archived_at is None
    assert session.budget is None
    assert session.deployment_id is None
    assert session.resources == [] and session.vault_ids == [] and session.outcome_evaluations == []
    assert session.created_at == session.updated_at
    extra = session.model_extra
    assert extra["outcome"] == {"result": None, "score": None}
    assert extra["event_count"] == 0
    row = Session.objects.get(pk=session.id)
    assert row.workspace_id == workspace.id
    assert row.agent_id == pilot.agent.id


def test_it_answers_what_a_strict_sdk_client_accepts(sdk, admin_key, pilot):
    strict = sdk(admin_key.secret, _strict_response_validation=True)

    session = strict.beta.sessions.create(agent=pilot.agent.id, environment_id="env_ci")

    assert session.agent.model.id == "unknown"
    assert session.agent.execution_identity.type == "service_account"
    assert strict.beta.sessions.retrieve(session.id).id == session.id


def test_it_accepts_an_agent_object_with_a_version(admin, pilot):
    agent = {"type": "agent", "id": pilot.agent.id, "version": 3}

    session = admin.beta.sessions.create(agent=agent, environment_id="e")

    assert session.agent.id == pilot.agent.id
    assert session.agent.version == 3


def test_it_keeps_overrides_of_an_agent_with_overrides(admin, pilot):
    session = admin.beta.sessions.create(
        agent={"type": "agent_with_overrides", "id": pilot.agent.id, "model": "claude-opus-4-5", "system": "Be brief."},
        environment_id="e",
    )

    assert session.agent.model.id == "claude-opus-4-5"
    assert session.agent.system == "Be brief."


def test_it_records_initial_events_in_order(admin, pilot):
    outcome = {"type": "user.define_outcome", "description": "Ship it", "outcome_id": "outc_1",
               "rubric": {"type": "text", "content": "ok"}}

    session = admin.beta.sessions.create(
        agent=pilot.agent.id, environment_id="e", initial_events=[text_event(text="first"), outcome]
    )

    assert session.model_extra["event_count"] == 2
    stored = list(SessionEvent.objects.filter(session_id=session.id).order_by("seq"))
    assert [e.type for e in stored] == ["user.message", "user.define_outcome"]
    assert stored[0].payload["content"] == [{"type": "text", "text": "first"}]
    assert all(e.id.startswith("sevt_") and e.processed_at is not None for e in stored)
    assert session.outcome_evaluations[0].outcome_id == "outc_1"
    assert session.outcome_evaluations[0].description == "Ship it"
    assert session.outcome_evaluations[0].result == "pending"


def test_it_takes_an_outcome_score_from_an_admin(admin, pilot):
    session = admin.beta.sessions.create(agent=pilot.agent.id, environment_id="e", extra_body={"outcome_score": 0.75})

    assert session.model_extra["outcome"] == {"result": None, "score": 0.75}
    assert Session.objects.get(pk=session.id).outcome_score == 0.75


def test_it_lets_an_agent_key_create_its_own_session(pilot):
    session = pilot.beta.sessions.create(agent=pilot.agent.id, environment_id="e")

    assert session.agent.id == pilot.agent.id
    assert session.model_extra["created_by"]["type"] == "api_actor"


def test_it_forbids_an_agent_key_to_create_a_session_for_another_agent(pilot, copilot):
    with pytest.raises(anthropic.PermissionDeniedError):
        pilot.beta.sessions.create(agent=copilot.agent.id, environment_id="e")

    assert not Session.objects.exists()


def test_it_forbids_an_agent_key_to_grade_its_own_session(pilot):
    with pytest.raises(anthropic.PermissionDeniedError) as caught:
        pilot.beta.sessions.create(agent=pilot.agent.id, environment_id="e", extra_body={"outcome_score": 1})

    assert "outcome_score" in caught.value.message
    assert not Session.objects.exists()


def test_it_answers_404_for_an_agent_that_is_not_in_the_workspace(admin, outsider):
    theirs = outsider.post("/v1/agents", body={"name": "theirs"}, cast_to=object)

    for agent_id in ("agent_nope", theirs["id"]):
        with pytest.raises(anthropic.NotFoundError):
            admin.beta.sessions.create(agent=agent_id, environment_id="e")

    assert not Session.objects.exists()


def _body(**fields):
    """A create body for the `pilot` agent (AGENT is replaced by its id), with `fields` on top."""
    return {"agent": "AGENT", "environment_id": "e", **fields}


@pytest.mark.parametrize(
    "body, words",
    [
        ({"environment_id": "e"}, "`agent` is required"),
        ({"agent": "AGENT"}, "`environment_id` is required"),
        (_body(environment_id=""), "`environment_id`"),
        (_body(environment_id=7), "`environment_id`"),
        (_body(agent=7), "`agent` must be"),
        (_body(agent={"type": "agent"}), "`agent` must be"),
        (_body(agent={"type": "agent", "id": "AGENT", "version": 0}), "`agent.version`"),
        (_body(title="x" * 513), "`title` must be at most 512"),
        (_body(title=5), "`title` must be a string"),
        (_body(metadata={"k": 1}), "value of 'k' must be a string"),
        (_body(metadata={f"k{i}": "v" for i in range(17)}), "at most 16"),
        (_body(metadata="k=v"), "`metadata` must be an object"),
        (_body(outcome_score=1.5), "`outcome_score` must be a number from 0 to 1"),
        (_body(outcome_score="high"), "`outcome_score`"),
        (_body(outcome_score=True), "`outcome_score`"),
        (_body(initial_events=5), "`initial_events` must be a list"),
        (_body(initial_events=["hi"]), "`initial_events[0]` must be an object"),
        (_body(initial_events=[{"content": []}]), "`initial_events[0].type` is required"),
        (_body(initial_events=[{"type": 3}]), "`initial_events[0].type`"),
        (_body(initial_events=[{"type": "x", "id": 9}]), "`initial_events[0].id`"),
        (_body(initial_events=[{"type": "x", "processed_at": "soon"}]),
         "`initial_events[0].processed_at` must be an RFC 3339"),
        (_body(initial_events=[text_event(text="nul \x00 here")]), "NUL character"),
        (_body(initial_events=[{"type": "x"}] * 1001), "at most 1000"),
        (_body(initial_events=[{"type": "x", "id": "a"}, {"type": "y", "id": "a"}]), "repeats event id 'a'"),
    ],
)
def test_it_rejects_an_invalid_request_with_a_400_and_creates_nothing(admin, pilot, body, words):
    body = {k: (pilot.agent.id if v == "AGENT" else v) for k, v in body.items()}
    if isinstance(body.get("agent"), dict) and body["agent"].get("id") == "AGENT":
        body["agent"] = {**body["agent"], "id": pilot.agent.id}

    with pytest.raises(anthropic.BadRequestError) as caught:
        admin.post("/v1/sessions", body=body, cast_to=object)

    assert caught.value.status_code == 400
    assert caught.value.body["type"] == "error"
    assert caught.value.body["error"]["type"] == "invalid_request_error"
    assert words in caught.value.message
    assert not Session.objects.exists()
    assert not SessionEvent.objects.exists()


def test_it_flags_bad_metadata_with_the_invalid_metadata_code(admin, pilot):
    with pytest.raises(anthropic.BadRequestError) as caught:
        admin.beta.sessions.create(agent=pilot.agent.id, environment_id="e", metadata={"": "empty key"})

    assert caught.value.error_code == "invalid_metadata"


def test_it_accepts_1000_initial_events(admin, pilot):
    session = admin.beta.sessions.create(
        agent=pilot.agent.id, environment_id="e", initial_events=[{"type": "agent.thinking"}] * 1000
    )

    assert session.model_extra["event_count"] == 1000
    assert SessionEvent.objects.filter(session_id=session.id).count() == 1000
