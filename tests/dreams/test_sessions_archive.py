"""POST /v1/sessions/{id}/archive (sessions.archive): admin keys only; irreversible and idempotent."""

import anthropic
import pytest

from dreams.models import Session
from tests.dreams.factories import make_session, text_event


def test_it_archives_a_session(admin, workspace, pilot):
    made = make_session(workspace, pilot.agent)

    session = admin.beta.sessions.archive(made.id)

    assert session.archived_at is not None
    assert Session.objects.get(pk=made.id).archived_at is not None


def test_it_archives_an_archived_session_as_a_no_op(admin, workspace, pilot):
    made = make_session(workspace, pilot.agent)
    first = admin.beta.sessions.archive(made.id)

    second = admin.beta.sessions.archive(made.id)

    assert second.archived_at == first.archived_at


def test_it_hides_archived_sessions_from_lists_and_refuses_new_events(admin, workspace, pilot):
    made = make_session(workspace, pilot.agent)
    admin.beta.sessions.archive(made.id)

    assert [s.id for s in admin.beta.sessions.list()] == []
    assert [s.id for s in admin.beta.sessions.list(include_archived=True)] == [made.id]
    with pytest.raises(anthropic.BadRequestError) as caught:
        admin.beta.sessions.events.send(made.id, events=[text_event()])
    assert "archived" in caught.value.message
    assert Session.objects.get(pk=made.id).event_count == 0


def test_it_forbids_an_agent_to_archive_even_its_own_session(pilot, workspace):
    mine = make_session(workspace, pilot.agent)

    with pytest.raises(anthropic.PermissionDeniedError):
        pilot.beta.sessions.archive(mine.id)

    assert Session.objects.get(pk=mine.id).archived_at is None


def test_it_hides_other_sessions_from_agents_and_outsiders(pilot, copilot, outsider, workspace):
    theirs = make_session(workspace, copilot.agent)

    for client in (pilot, outsider):
        with pytest.raises(anthropic.NotFoundError):
            client.beta.sessions.archive(theirs.id)

    assert Session.objects.get(pk=theirs.id).archived_at is None
