"""Dreams that start themselves: after N ended sessions, and on a cron schedule."""

import json

import anthropic
import pytest
from django_celery_beat.models import PeriodicTask

from dreams import tasks, triggers
from dreams.models import Dream
from memory import identity, stores
from memory.models import Access
from tests.dreams.factories import make_session
from tests.worker import running_worker, wait_for


@pytest.fixture
def agent(workspace, store):
    agent = identity.create_agent(workspace=workspace, name="ops-bot")
    stores.set_grant(store=store, agent_id=agent.id, access=Access.READ_WRITE)
    return agent


def ended(workspace, agent, result="satisfied"):
    return make_session(workspace, agent, events=[
        {"type": "span.outcome_evaluation_end", "outcome_id": "outc_1", "result": result, "iteration": 0},
        {"type": "session.status_idle"},
    ])


def test_it_dreams_after_n_eligible_sessions_end(workspace, store, agent):
    triggers.set_policy(store=store, after_sessions=2)

    first = ended(workspace, agent)
    assert triggers.note_session_ended(first) == []
    second = ended(workspace, agent)
    started = triggers.note_session_ended(second)

    assert len(started) == 1
    dream = Dream.objects.get(id=started[0])
    assert dream.trigger == "session_end"
    assert dream.session_ids == sorted([first.id, second.id])
    assert dream.input_store_id == store.id


def test_a_session_counts_once(workspace, store, agent):
    triggers.set_policy(store=store, after_sessions=2)
    session = ended(workspace, agent)
    triggers.note_session_ended(session)
    assert triggers.note_session_ended(session) == []
    assert Dream.objects.count() == 0


def test_sessions_of_agents_without_access_or_below_the_outcome_do_not_count(workspace, store, agent):
    triggers.set_policy(store=store, after_sessions=1, min_outcome="satisfied")
    outsider = identity.create_agent(workspace=workspace, name="no-access-bot")

    assert triggers.note_session_ended(ended(workspace, outsider)) == []
    assert triggers.note_session_ended(ended(workspace, agent, result="failed")) == []
    assert len(triggers.note_session_ended(ended(workspace, agent))) == 1


def test_an_ended_session_event_through_the_api_starts_the_dream_on_the_worker(workspace, store, agent, sdk):
    triggers.set_policy(store=store, after_sessions=1)
    client = sdk(identity.issue_api_key(workspace=workspace, name="bot key", agent=agent).secret)
    session = client.beta.sessions.create(agent=agent.id, environment_id="env")

    with running_worker():
        client.beta.sessions.events.send(session.id, events=[{"type": "session.status_idle"}])
        started = wait_for(lambda: Dream.objects.filter(trigger="session_end").exists())

    assert started
    assert Dream.objects.get(trigger="session_end").session_ids == [session.id]


def test_a_cron_schedule_is_a_beat_task_that_starts_a_dream(store):
    triggers.set_policy(store=store, cron="30 3 * * 1-5")

    task = PeriodicTask.objects.get(task="dreams.start_scheduled_dream")
    assert json.loads(task.args) == [store.id]
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("30", "3", "1-5")

    dream_id = tasks.start_scheduled_dream(store.id)

    assert Dream.objects.get(id=dream_id).trigger == "schedule"


def test_turning_the_schedule_off_removes_the_beat_task(store):
    triggers.set_policy(store=store, cron="0 * * * *")
    triggers.set_policy(store=store, cron=None)
    assert not PeriodicTask.objects.filter(task="dreams.start_scheduled_dream").exists()


def test_the_policy_api_validates_and_round_trips(admin, store):
    path = f"/v1/memory_stores/{store.id}/dream_policy"
    with pytest.raises(anthropic.BadRequestError):
        admin.post(path, body={"cron": "every day"}, cast_to=object)
    with pytest.raises(anthropic.BadRequestError):
        admin.post(path, body={"after_sessions": 0}, cast_to=object)
    with pytest.raises(anthropic.BadRequestError, match="cannot run on this server"):
        admin.post(path, body={"after_sessions": 3, "model": "gpt-unknown"}, cast_to=object)

    saved = admin.post(path, body={"after_sessions": 3, "cron": "0 2 * * *", "min_outcome": "satisfied"},
                       cast_to=object)

    assert saved["after_sessions"] == 3 and saved["cron"] == "0 2 * * *"
    assert admin.get(path, cast_to=object) == saved


def test_agents_cannot_change_the_policy(agent_rw, store):
    with pytest.raises(anthropic.PermissionDeniedError):
        agent_rw.post(f"/v1/memory_stores/{store.id}/dream_policy", body={"after_sessions": 1}, cast_to=object)
