"""DELETE /v1/sessions/{id} (sessions.delete): admin keys only; the events go with the session."""

import anthropic
import pytest

from dreams.models import Session, SessionEvent
from tests.dreams.factories import make_session, text_event


def test_it_deletes_a_session_with_its_events(admin, workspace, pilot):
    made = make_session(workspace, pilot.agent, events=[text_event(), text_event("agent.message")])
    kept = make_session(workspace, pilot.agent, events=[text_event()])

    deleted = admin.beta.sessions.delete(made.id)

    assert (deleted.type, deleted.id) == ("session_deleted", made.id)
    assert not Session.objects.filter(pk=made.id).exists()
    assert not SessionEvent.objects.filter(session_id=made.id).exists()
    assert SessionEvent.objects.filter(session_id=kept.id).count() == 1
    with pytest.raises(anthropic.NotFoundError):
        admin.beta.sessions.retrieve(made.id)
    with pytest.raises(anthropic.NotFoundError):
        admin.beta.sessions.delete(made.id)


def test_it_forbids_an_agent_to_delete_even_its_own_session(pilot, workspace):
    mine = make_session(workspace, pilot.agent)

    with pytest.raises(anthropic.PermissionDeniedError):
        pilot.beta.sessions.delete(mine.id)

    assert Session.objects.filter(pk=mine.id).exists()


def test_it_hides_other_sessions_from_agents_and_outsiders(pilot, copilot, outsider, workspace):
    theirs = make_session(workspace, copilot.agent)

    for client in (pilot, outsider):
        with pytest.raises(anthropic.NotFoundError):
            client.beta.sessions.delete(theirs.id)

    assert Session.objects.filter(pk=theirs.id).exists()
