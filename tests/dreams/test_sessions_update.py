"""POST /v1/sessions/{id} (sessions.update): title, metadata patch, and the outcome score (admin keys)."""

import anthropic
import pytest

from dreams import sessions
from dreams.models import Session
from tests.dreams.factories import make_session


def test_it_updates_title_metadata_and_score(admin, workspace, pilot):
    made = make_session(workspace, pilot.agent, title="old", metadata={"keep": "1", "drop": "2"})

    session = admin.beta.sessions.update(
        made.id, title="new", metadata={"drop": None, "add": "3"}, extra_body={"outcome_score": 0.4}
    )

    assert session.title == "new"
    assert session.metadata == {"keep": "1", "add": "3"}
    assert session.model_extra["outcome"]["score"] == 0.4
    assert session.updated_at > session.created_at
    row = Session.objects.get(pk=made.id)
    assert (row.title, row.metadata, row.outcome_score) == ("new", {"keep": "1", "add": "3"}, 0.4)


def test_it_clears_the_title_and_the_score_with_null(admin, workspace, pilot):
    made = make_session(workspace, pilot.agent, title="old", outcome_score=0.5)

    session = admin.beta.sessions.update(made.id, title=None, extra_body={"outcome_score": None})

    assert session.title is None
    assert session.model_extra["outcome"]["score"] is None


def test_it_changes_nothing_when_nothing_changes(admin, workspace, pilot):
    made = make_session(workspace, pilot.agent, title="same", metadata={"a": "1"})

    session = admin.beta.sessions.update(made.id, title="same", metadata={"a": "1"})

    assert Session.objects.get(pk=made.id).updated_at == made.updated_at
    assert session.updated_at == made.updated_at


def test_it_lets_an_agent_retitle_its_own_session(pilot, workspace):
    mine = make_session(workspace, pilot.agent)

    assert pilot.beta.sessions.update(mine.id, title="mine").title == "mine"


def test_it_forbids_an_agent_to_set_its_own_score(pilot, workspace):
    mine = make_session(workspace, pilot.agent)

    with pytest.raises(anthropic.PermissionDeniedError):
        pilot.beta.sessions.update(mine.id, extra_body={"outcome_score": 1.0})

    assert Session.objects.get(pk=mine.id).outcome_score is None


def test_it_hides_other_sessions_from_agents_and_outsiders(pilot, copilot, outsider, workspace):
    theirs = make_session(workspace, copilot.agent, title="theirs")

    for client in (pilot, outsider):
        with pytest.raises(anthropic.NotFoundError):
            client.beta.sessions.update(theirs.id, title="mine now")

    assert Session.objects.get(pk=theirs.id).title == "theirs"


def test_it_refuses_to_update_an_archived_session(admin, workspace, pilot):
    made = make_session(workspace, pilot.agent, title="old")
    sessions.archive_session(session=made)

    with pytest.raises(anthropic.BadRequestError) as caught:
        admin.beta.sessions.update(made.id, title="new")

    assert "archived" in caught.value.message


@pytest.mark.parametrize(
    "body, words",
    [
        ({"title": "x" * 513}, "`title` must be at most 512"),
        ({"metadata": {"k": 5}}, "value of 'k' must be a string"),
        ({"metadata": ["k"]}, "`metadata` must be an object"),
        ({"outcome_score": -0.1}, "`outcome_score`"),
        ({"outcome_score": "0.5"}, "`outcome_score`"),
        ({"vault_ids": ["vlt_1"]}, "`vault_ids`"),
    ],
)
def test_it_rejects_invalid_updates_with_a_400(admin, workspace, pilot, body, words):
    made = make_session(workspace, pilot.agent, title="old", metadata={"a": "1"})

    with pytest.raises(anthropic.BadRequestError) as caught:
        admin.post(f"/v1/sessions/{made.id}", body=body, cast_to=object)

    assert words in caught.value.message
    row = Session.objects.get(pk=made.id)
    assert (row.title, row.metadata, row.outcome_score) == ("old", {"a": "1"}, None)
