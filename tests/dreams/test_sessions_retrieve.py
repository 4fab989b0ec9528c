"""GET /v1/sessions/{id} (sessions.retrieve): admins see every session of their workspace,
agents their own; everything else answers 404."""

import anthropic
import pytest

from tests.dreams.factories import make_session, text_event


def test_it_retrieves_a_session_with_its_outcome(admin, workspace, pilot):
    made = make_session(workspace, pilot.agent, title="Rotate keys", metadata={"team": "sre"}, outcome_score=0.9,
                        events=[text_event(), {"type": "span.outcome_evaluation_end", "outcome_id": "outc_1",
                                               "result": "satisfied", "explanation": "Done.", "iteration": 0}])

    session = admin.beta.sessions.retrieve(made.id)

    assert session.id == made.id
    assert session.title == "Rotate keys"
    assert session.metadata == {"team": "sre"}
    assert session.agent.name == "pilot"
    assert session.model_extra["outcome"] == {"result": "satisfied", "score": 0.9}
    assert session.model_extra["event_count"] == 2
    assert session.model_extra["last_event_at"] is not None
    evaluation = session.outcome_evaluations[0]
    assert (evaluation.outcome_id, evaluation.result, evaluation.explanation) == ("outc_1", "satisfied", "Done.")
    assert evaluation.completed_at is not None


def test_it_shows_an_agent_its_own_session(pilot, workspace):
    mine = make_session(workspace, pilot.agent)

    assert pilot.beta.sessions.retrieve(mine.id).id == mine.id


def test_it_hides_another_agents_session_from_an_agent_key(pilot, copilot, workspace):
    theirs = make_session(workspace, copilot.agent)

    with pytest.raises(anthropic.NotFoundError):
        pilot.beta.sessions.retrieve(theirs.id)


def test_it_hides_sessions_of_another_workspace(outsider, workspace, pilot):
    ours = make_session(workspace, pilot.agent)

    with pytest.raises(anthropic.NotFoundError) as caught:
        outsider.beta.sessions.retrieve(ours.id)

    assert caught.value.body["error"]["type"] == "not_found_error"


def test_it_answers_404_for_an_unknown_session(admin):
    with pytest.raises(anthropic.NotFoundError):
        admin.beta.sessions.retrieve("sesn_nope")


def test_it_shows_the_fields_an_import_brought(admin, workspace, pilot):
    made = make_session(workspace, pilot.agent, session_id="sesn_imported_1",
                        extra={"usage": {"input_tokens": 120}, "deployment_id": "dep_1", "x_custom": [1]},
                        agent_snapshot={"version": 4, "model": {"id": "claude-opus-4-5"}})

    session = admin.beta.sessions.retrieve(made.id)

    assert session.id == "sesn_imported_1"
    assert session.usage.input_tokens == 120
    assert session.deployment_id == "dep_1"
    assert session.model_extra["x_custom"] == [1]
    assert session.agent.version == 4
    assert session.agent.model.id == "claude-opus-4-5"
    assert session.agent.id == pilot.agent.id
