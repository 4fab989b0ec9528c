"""GET /v1/sessions (sessions.list): newest first by default, filters, pages both ways."""

from datetime import datetime, timedelta, timezone

import anthropic
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dreams import sessions
from tests.dreams.factories import make_session

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)


def _series(workspace, agent, count, *, start=T0, **fields):
    """Sessions one minute apart, oldest first."""
    return [make_session(workspace, agent, created_at=start + timedelta(minutes=i), **fields) for i in range(count)]


def test_it_lists_sessions_newest_first(admin, workspace, pilot):
    made = _series(workspace, pilot.agent, 3)

    page = admin.beta.sessions.list()

    assert [s.id for s in page.data] == [s.id for s in reversed(made)]
    assert page.next_page is None
    assert page.prev_page is None
    assert page.data[0].model_dump() == admin.beta.sessions.retrieve(made[-1].id).model_dump()


def test_it_lists_oldest_first_with_order_asc(admin, workspace, pilot):
    made = _series(workspace, pilot.agent, 3)

    assert [s.id for s in admin.beta.sessions.list(order="asc")] == [s.id for s in made]


def test_it_breaks_ties_in_created_at_by_id(admin, workspace, pilot):
    made = [make_session(workspace, pilot.agent, created_at=T0, session_id=f"sesn_tie_{i}") for i in range(5)]

    newest = [s.id for s in admin.beta.sessions.list(limit=2)]
    oldest = [s.id for s in admin.beta.sessions.list(limit=2, order="asc")]

    assert oldest == [s.id for s in made]
    assert newest == list(reversed(oldest))


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_it_pages_through_every_session_once(admin, workspace, pilot, order):
    made = [s.id for s in _series(workspace, pilot.agent, 11)]
    expected = made if order == "asc" else list(reversed(made))

    page = admin.beta.sessions.list(limit=4, order=order)
    pages = [page]
    while page.has_next_page():
        page = page.get_next_page()
        pages.append(page)

    assert [len(p.data) for p in pages] == [4, 4, 3]
    assert [s.id for p in pages for s in p.data] == expected
    assert [s.id for s in admin.beta.sessions.list(limit=4, order=order)] == expected


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_it_pages_back_with_prev_page(admin, workspace, pilot, order):
    _series(workspace, pilot.agent, 10)
    first = admin.beta.sessions.list(limit=4, order=order)
    second = first.get_next_page()
    third = second.get_next_page()

    back_to_second = admin.beta.sessions.list(limit=4, order=order, page=third.prev_page)
    back_to_first = admin.beta.sessions.list(limit=4, order=order, page=back_to_second.prev_page)

    assert first.prev_page is None
    assert second.prev_page and third.prev_page
    assert third.next_page is None
    assert [s.id for s in back_to_second.data] == [s.id for s in second.data]
    assert [s.id for s in back_to_first.data] == [s.id for s in first.data]
    assert back_to_first.prev_page is None
    forward_again = admin.beta.sessions.list(limit=4, order=order, page=back_to_first.next_page)
    assert [s.id for s in forward_again.data] == [s.id for s in second.data]


def test_it_filters_by_agent_and_status(admin, workspace, pilot, copilot):
    idle = make_session(workspace, pilot.agent)
    running = make_session(workspace, pilot.agent, events=[{"type": "session.status_running"}])
    ended = make_session(workspace, copilot.agent, events=[{"type": "session.status_terminated"}])

    by_agent = admin.beta.sessions.list(agent_id=pilot.agent.id)
    by_status = admin.beta.sessions.list(statuses=["running", "terminated"])
    both = admin.beta.sessions.list(agent_id=pilot.agent.id, statuses=["idle"])

    assert {s.id for s in by_agent} == {idle.id, running.id}
    assert {s.id for s in by_status} == {running.id, ended.id}
    assert [s.id for s in both] == [idle.id]


def test_it_filters_by_created_at(admin, workspace, pilot):
    a, b, c = _series(workspace, pilot.agent, 3)

    def ids(**bounds):
        return [s.id for s in admin.beta.sessions.list(order="asc", **bounds)]

    assert ids(created_at_gt=b.created_at) == [c.id]
    assert ids(created_at_gte=b.created_at) == [b.id, c.id]
    assert ids(created_at_lt=b.created_at) == [a.id]
    assert ids(created_at_lte=b.created_at) == [a.id, b.id]
    assert ids(created_at_gte=a.created_at, created_at_lt=c.created_at) == [a.id, b.id]
    assert ids(created_at_gte="2026-05-01T12:01:00") == [b.id, c.id]  # no offset means UTC


def test_it_includes_archived_sessions_only_when_asked(admin, workspace, pilot):
    live, old = _series(workspace, pilot.agent, 2)
    sessions.archive_session(session=old)

    assert [s.id for s in admin.beta.sessions.list()] == [live.id]
    assert [s.id for s in admin.beta.sessions.list(include_archived=False)] == [live.id]
    assert [s.id for s in admin.beta.sessions.list(include_archived=True)] == [old.id, live.id]


def test_it_accepts_and_ignores_memory_store_id_and_agent_version(admin, workspace, pilot, store):
    made = make_session(workspace, pilot.agent)

    page = admin.beta.sessions.list(memory_store_id=store.id, agent_id=pilot.agent.id, agent_version=2)

    assert [s.id for s in page] == [made.id]


def test_it_matches_deployment_id_only_on_sessions_that_carry_one(admin, workspace, pilot):
    make_session(workspace, pilot.agent)
    deployed = make_session(workspace, pilot.agent, session_id="sesn_dep", extra={"deployment_id": "dep_1"})

    assert [s.id for s in admin.beta.sessions.list(deployment_id="dep_1")] == [deployed.id]
    assert [s.id for s in admin.beta.sessions.list(deployment_id="dep_2")] == []


def test_it_lists_only_an_agents_own_sessions_for_an_agent_key(pilot, copilot, workspace):
    mine = make_session(workspace, pilot.agent)
    make_session(workspace, copilot.agent)

    assert [s.id for s in pilot.beta.sessions.list()] == [mine.id]
    assert [s.id for s in pilot.beta.sessions.list(agent_id=copilot.agent.id)] == []


def test_it_never_lists_another_workspaces_sessions(outsider, workspace, pilot):
    make_session(workspace, pilot.agent)

    assert outsider.beta.sessions.list().data == []


@pytest.mark.parametrize(
    "query, words",
    [
        ({"order": "newest"}, "`order` must be `asc` or `desc`"),
        ({"statuses[]": "sleeping"}, "`statuses[]`"),
        ({"limit": "0"}, "`limit`"),
        ({"limit": "101"}, "`limit`"),
        ({"created_at[gt]": "yesterday"}, "`created_at[gt]`"),
        ({"include_archived": "maybe"}, "`include_archived`"),
        ({"page": "garbage!"}, "`page`"),
    ],
)
def test_it_rejects_invalid_parameters_with_a_400(admin, query, words):
    with pytest.raises(anthropic.BadRequestError) as caught:
        admin.get("/v1/sessions", options={"params": query}, cast_to=object)

    assert words in caught.value.message


def test_it_rejects_a_cursor_from_the_other_order(admin, workspace, pilot):
    _series(workspace, pilot.agent, 3)
    cursor = admin.beta.sessions.list(limit=1).next_page

    with pytest.raises(anthropic.BadRequestError):
        admin.beta.sessions.list(limit=1, order="asc", page=cursor)


def test_it_costs_the_same_queries_whatever_the_number_of_sessions(client, workspace, admin_key, pilot):
    headers = {"Authorization": f"Bearer {admin_key.secret}"}
    _series(workspace, pilot.agent, 2)
    client.get("/v1/sessions", headers=headers)  # first use records last_used_at: a write we do not count

    with CaptureQueriesContext(connection) as few:
        response = client.get("/v1/sessions", headers=headers)
    assert len(response.json()["data"]) == 2

    _series(workspace, pilot.agent, 30, start=T0 + timedelta(days=1))
    with CaptureQueriesContext(connection) as many:
        response = client.get("/v1/sessions", headers=headers)
    assert len(response.json()["data"]) == 20

    assert len(many) == len(few)
    assert len(many) <= 2
