"""GET /v1/sessions/{id}/events (sessions.events.list): the transcript in arrival order."""

import anthropic
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.dreams.factories import make_session, text_event


def _at(minute):
    return f"2026-04-01T10:{minute:02d}:00Z"


@pytest.fixture
def transcript(workspace, pilot):
    """Twelve events, one a minute; every third an agent.message."""
    events = [text_event("agent.message" if i % 3 == 0 else "user.message", text=f"e{i}", id=f"sevt_{i:02d}",
                         processed_at=_at(i)) for i in range(12)]
    return make_session(workspace, pilot.agent, events=events)


def test_it_lists_events_oldest_first(admin, transcript):
    page = admin.beta.sessions.events.list(transcript.id)

    assert [e.id for e in page.data] == [f"sevt_{i:02d}" for i in range(12)]
    assert page.data[0].content[0].text == "e0"
    assert page.next_page is None


def test_it_lists_newest_first_with_order_desc(admin, transcript):
    assert [e.id for e in admin.beta.sessions.events.list(transcript.id, order="desc")] == [
        f"sevt_{i:02d}" for i in reversed(range(12))
    ]


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_it_pages_through_every_event_once(admin, transcript, order):
    expected = [f"sevt_{i:02d}" for i in range(12)]
    if order == "desc":
        expected.reverse()

    page = admin.beta.sessions.events.list(transcript.id, limit=5, order=order)
    pages = [page]
    while page.has_next_page():
        page = page.get_next_page()
        pages.append(page)

    assert [len(p.data) for p in pages] == [5, 5, 2]
    assert [e.id for p in pages for e in p.data] == expected


def test_it_filters_by_type(admin, transcript):
    messages = admin.beta.sessions.events.list(transcript.id, types=["agent.message"])
    both = admin.beta.sessions.events.list(transcript.id, types=["agent.message", "user.message"])

    assert [e.id for e in messages] == ["sevt_00", "sevt_03", "sevt_06", "sevt_09"]
    assert len(both.data) == 12


def test_it_filters_created_at_on_processed_at(admin, transcript):
    def ids(**bounds):
        return [e.id for e in admin.beta.sessions.events.list(transcript.id, **bounds)]

    assert ids(created_at_gt=_at(9)) == ["sevt_10", "sevt_11"]
    assert ids(created_at_gte=_at(9), created_at_lt=_at(11)) == ["sevt_09", "sevt_10"]
    assert ids(created_at_lte=_at(1)) == ["sevt_00", "sevt_01"]


def test_it_leaves_unprocessed_events_out_of_time_filters(admin, workspace, pilot):
    made = make_session(workspace, pilot.agent, events=[text_event(id="sevt_q", processed_at=None)])

    assert [e.id for e in admin.beta.sessions.events.list(made.id)] == ["sevt_q"]
    assert admin.beta.sessions.events.list(made.id, created_at_gte="2000-01-01T00:00:00Z").data == []


def test_it_shows_an_agent_its_own_transcript_only(pilot, copilot, workspace, transcript):
    theirs = make_session(workspace, copilot.agent, events=[text_event()])

    assert len(pilot.beta.sessions.events.list(transcript.id).data) == 12
    with pytest.raises(anthropic.NotFoundError):
        pilot.beta.sessions.events.list(theirs.id)


def test_it_hides_transcripts_of_another_workspace(outsider, transcript):
    with pytest.raises(anthropic.NotFoundError):
        outsider.beta.sessions.events.list(transcript.id)


@pytest.mark.parametrize(
    "query, words",
    [
        ({"order": "random"}, "`order`"),
        ({"limit": "1000"}, "`limit`"),
        ({"created_at[lte]": "noon"}, "`created_at[lte]`"),
        ({"page": "bm90IGpzb24"}, "`page`"),
    ],
)
def test_it_rejects_invalid_parameters_with_a_400(admin, transcript, query, words):
    with pytest.raises(anthropic.BadRequestError) as caught:
        admin.get(f"/v1/sessions/{transcript.id}/events", options={"params": query}, cast_to=object)

    assert words in caught.value.message


def test_it_rejects_a_cursor_of_another_session(admin, workspace, pilot, transcript):
    other = make_session(workspace, pilot.agent, events=[text_event(), text_event()])
    cursor = admin.beta.sessions.events.list(transcript.id, limit=1).next_page

    with pytest.raises(anthropic.BadRequestError):
        admin.beta.sessions.events.list(other.id, limit=1, page=cursor)


def test_it_costs_the_same_queries_whatever_the_length_of_the_transcript(
    client, admin_key, transcript, workspace, pilot
):
    headers = {"Authorization": f"Bearer {admin_key.secret}"}
    short = make_session(workspace, pilot.agent, events=[text_event()])
    client.get(f"/v1/sessions/{short.id}/events", headers=headers)  # first use records last_used_at

    with CaptureQueriesContext(connection) as few:
        client.get(f"/v1/sessions/{short.id}/events", headers=headers)
    with CaptureQueriesContext(connection) as many:
        response = client.get(f"/v1/sessions/{transcript.id}/events?limit=10", headers=headers)

    assert len(response.json()["data"]) == 10
    assert len(many) == len(few) <= 3
