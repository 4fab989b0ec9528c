"""The pure parts of appending: checking a batch of events and folding them into the session's summary."""

from datetime import datetime, timezone

import pytest

from dreams import sessions
from dreams.models import Session
from memory.errors import InvalidRequest

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)


def _fold(*events, session=None):
    session = session or Session(status="idle", event_count=0, outcome_evaluations=[])
    sessions.fold_events(session, sessions.validate_events(list(events), now=NOW))
    return session


def _end(result, outcome_id="outc_1", **fields):
    return {"type": "span.outcome_evaluation_end", "outcome_id": outcome_id, "result": result, **fields}


def test_it_fills_in_a_missing_id_and_processed_at_but_keeps_an_explicit_null():
    stamped, queued = sessions.validate_events([{"type": "a"}, {"type": "b", "processed_at": None}], now=NOW)

    assert stamped["id"].startswith("sevt_")
    assert stamped["processed_at"] == "2026-06-01T08:00:00Z"
    assert stamped["_processed_at"] == NOW
    assert queued["processed_at"] is None and queued["_processed_at"] is None


def test_it_reads_times_without_an_offset_as_utc():
    [event] = sessions.validate_events([{"type": "a", "processed_at": "2026-01-01T10:00:00"}], now=NOW)

    assert event["_processed_at"] == datetime(2026, 1, 1, 10, 0, tzinfo=timezone.utc)
    assert event["processed_at"] == "2026-01-01T10:00:00"  # the payload keeps what came


def test_it_refuses_a_deeply_nested_lone_surrogate():
    deep = {"type": "a", "x": [[[[{"k": "\ud800"}]]]]}

    with pytest.raises(InvalidRequest, match="lone surrogate"):
        sessions.validate_events([deep], now=NOW)


@pytest.mark.parametrize(
    "results, expected",
    [
        ([], None),
        (["satisfied"], "satisfied"),
        (["needs_revision"], "needs_revision"),
        (["needs_revision", "satisfied"], "satisfied"),
        (["satisfied", "failed"], "failed"),
        (["max_iterations_reached", "pending-ish"], "max_iterations_reached"),
        (["interrupted"], "interrupted"),
    ],
)
def test_it_keeps_the_last_outcome_result(results, expected):
    assert _fold(*[_end(r) for r in results]).outcome_result == expected


def test_it_folds_outcome_evaluations_per_outcome():
    session = _fold(
        {"type": "user.define_outcome", "outcome_id": "outc_a", "description": "Write the runbook"},
        {"type": "span.outcome_evaluation_start", "outcome_id": "outc_a", "iteration": 0},
        _end("needs_revision", "outc_a", iteration=0, explanation="Missing rollback."),
        _end("satisfied", "outc_a", iteration=1, explanation="Complete.", processed_at="2026-06-01T09:00:00Z"),
        _end("failed", "outc_b", iteration=0, explanation="Not applicable."),
    )

    a, b = session.outcome_evaluations
    assert a == {"type": "outcome_evaluation", "outcome_id": "outc_a", "description": "Write the runbook",
                 "iteration": 1, "result": "satisfied", "explanation": "Complete.",
                 "completed_at": "2026-06-01T09:00:00Z"}
    assert (b["outcome_id"], b["result"], b["description"]) == ("outc_b", "failed", "")
    assert session.outcome_result == "failed"


def test_it_follows_status_events_and_counts_events():
    session = _fold({"type": "session.status_running"}, {"type": "agent.message", "content": []},
                    {"type": "session.status_rescheduled"})

    assert session.status == "rescheduling"
    assert session.event_count == 3
    assert session.last_event_at == NOW


def test_it_keeps_the_latest_event_time_whatever_the_order():
    session = _fold({"type": "a", "processed_at": "2026-01-02T00:00:00Z"},
                    {"type": "b", "processed_at": "2026-01-01T00:00:00Z"}, {"type": "c", "processed_at": None})

    assert session.last_event_at == datetime(2026, 1, 2, tzinfo=timezone.utc)
