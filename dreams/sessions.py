"""Sessions and their events: registering, appending, updating, listing.

The API, the importers and the dream runner all call these functions. Events are
stored exactly as received (unknown types included); only `id` is filled in when
absent, and `processed_at` when the key is absent (Reverie records an event as
processed when it receives it; an explicit null is kept). Appends lock the session
row, so `seq` order within a session is the order in which appends committed, and
the session's summary (status, outcome, counts) is folded in the same transaction.
"""

import logging
import math
import time
from datetime import datetime, timezone

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone as dj_timezone
from django.utils.dateparse import parse_datetime

from dreams import tasks
from dreams.models import Session, SessionEvent, SessionStatus
from dreams.models.sessions import event_id as new_event_id
from memory import validation
from memory.access import Actor
from memory.api.auth import SESSION_ID  # a session must be nameable in the X-Reverie-Session-Id header
from memory.cursors import decode_cursor, encode_cursor
from memory.errors import Conflict, InvalidRequest, NotFound
from memory.models import Agent, Workspace

log = logging.getLogger(__name__)

STATUSES = [choice.value for choice in SessionStatus]
MAX_EVENTS_PER_CALL = 1000
MAX_TITLE = 512
MAX_ENVIRONMENT_ID = 255
MAX_EVENT_TYPE = 128
MAX_EVENT_ID = 128
MAX_OUTCOMES = 100
# Results of `span.outcome_evaluation_end` that say how the session went; the last one is the outcome.
OUTCOME_RESULTS = ("satisfied", "failed", "max_iterations_reached", "interrupted", "needs_revision")
# The SDK's terminal evaluation states: no further cycle follows, so the evaluation is complete.
_COMPLETED_RESULTS = {"satisfied", "failed", "max_iterations_reached", "interrupted"}
_STATUS_EVENTS = {
    "session.status_running": SessionStatus.RUNNING,
    "session.status_idle": SessionStatus.IDLE,
    "session.status_rescheduled": SessionStatus.RESCHEDULING,
    "session.status_terminated": SessionStatus.TERMINATED,
}
_UNSET = object()
# A session that reports one of these has ended a run: it counts toward session-end dream triggers.
ENDED_EVENT_TYPES = {"session.status_idle", "session.status_terminated"}

# What a session shows for what Reverie does not track, unless an import brought its own values.
SESSION_DEFAULTS = {"budget": None, "resources": [], "stats": {}, "usage": {}, "vault_ids": [], "deployment_id": None}
AGENT_DEFAULTS = {
    "version": 1, "description": None, "model": {"id": "unknown"}, "system": None, "tools": [], "skills": [],
    "mcp_servers": [], "execution_identity": {"type": "service_account"}, "multiagent": None,
}


# --- validation (pure) --------------------------------------------------------------------------------

def validate_session_id(value, *, field: str = "session_id") -> str:
    if not isinstance(value, str) or not SESSION_ID.match(value):
        raise InvalidRequest(
            f"`{field}` must be a session id: `sesn_` then 1 to 64 letters, digits, '_' or '-' "
            f"(got {str(value)[:90]!r})."
        )
    return value


def validate_title(title) -> str | None:
    if title is None:
        return None
    if not isinstance(title, str):
        raise InvalidRequest("`title` must be a string or null.")
    if len(title) > MAX_TITLE:
        raise InvalidRequest(f"`title` must be at most {MAX_TITLE} characters (got {len(title)}).")
    if not validation.is_storable(title):
        raise InvalidRequest("`title` must not contain NUL characters or lone surrogates.")
    return title


def validate_environment_id(value) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_ENVIRONMENT_ID:
        raise InvalidRequest(
            f"`environment_id` is required and must be a string of 1 to {MAX_ENVIRONMENT_ID} characters."
        )
    if not validation.is_storable(value):
        raise InvalidRequest("`environment_id` must not contain NUL characters or lone surrogates.")
    return value


def validate_score(value) -> float | None:
    if value is None:
        return None
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or not 0 <= value <= 1:
        raise InvalidRequest("`outcome_score` must be a number from 0 to 1, or null.")
    return float(value)


def validate_status(value) -> str:
    if value not in STATUSES:
        raise InvalidRequest(f"`status` must be one of {', '.join(STATUSES)} (got {str(value)[:40]!r}).")
    return value


def validate_json_object(value, *, field: str) -> dict:
    if not isinstance(value, dict):
        raise InvalidRequest(f"`{field}` must be an object.")
    _check_storable(value, field)
    return value


def parse_timestamp(value, *, field: str) -> datetime | None:
    """An RFC 3339 string (no offset means UTC) or null."""
    if value is None:
        return None
    parsed = None
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise InvalidRequest(
            f"`{field}` must be an RFC 3339 date-time such as 2026-01-01T00:00:00Z (got {str(value)[:40]!r})."
        )
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def validate_events(events, *, field: str = "events", now: datetime | None = None) -> list[dict]:
    """Check a batch of events and return their payloads with `id` (and a missing `processed_at`) filled in.

    Each payload gains a private `_processed_at` datetime, removed before storing.
    """
    if not isinstance(events, (list, tuple)):
        raise InvalidRequest(f"`{field}` must be a list of event objects.")
    if len(events) > MAX_EVENTS_PER_CALL:
        raise InvalidRequest(
            f"`{field}` holds {len(events)} events; at most {MAX_EVENTS_PER_CALL} may be sent at once."
        )
    now = now or dj_timezone.now()
    prepared, seen = [], set()
    for index, event in enumerate(events):
        where = f"{field}[{index}]"
        if not isinstance(event, dict):
            raise InvalidRequest(f"`{where}` must be an object with a string `type`.")
        event_type = event.get("type")
        if not isinstance(event_type, str) or not 1 <= len(event_type) <= MAX_EVENT_TYPE:
            raise InvalidRequest(
                f"`{where}.type` is required and must be a string of 1 to {MAX_EVENT_TYPE} characters."
            )
        payload = dict(event)
        if payload.get("id") is None:
            payload["id"] = new_event_id()
        event_id = payload["id"]
        if not isinstance(event_id, str) or not 1 <= len(event_id) <= MAX_EVENT_ID:
            raise InvalidRequest(f"`{where}.id` must be a string of 1 to {MAX_EVENT_ID} characters when given.")
        if event_id in seen:
            raise InvalidRequest(f"`{where}.id` repeats event id {event_id!r} from earlier in the same batch.")
        seen.add(event_id)
        if "processed_at" in payload:
            processed = parse_timestamp(payload["processed_at"], field=f"{where}.processed_at")
        else:
            processed = now
            payload["processed_at"] = _stamp(now)
        _check_storable(payload, where)
        payload["_processed_at"] = processed
        prepared.append(payload)
    return prepared


def _stamp(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _check_storable(value, field: str) -> None:
    """Every string (keys too) must be storable: PostgreSQL's jsonb refuses NUL and lone surrogates.
    Iterative, so a deeply nested event cannot exhaust the stack."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not validation.is_storable(item):
                raise InvalidRequest(f"`{field}` contains a NUL character or a lone surrogate, which cannot be stored.")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


# --- folding events into the session's summary (pure) ---------------------------------------------------

def fold_events(session: Session, payloads: list[dict]) -> None:
    """Update status, outcome, outcome_evaluations, event_count and last_event_at from new events."""
    evaluations = {e.get("outcome_id"): dict(e) for e in session.outcome_evaluations if isinstance(e, dict)}
    for payload in payloads:
        event_type = payload["type"]
        processed = payload.get("_processed_at")
        if processed is not None and (session.last_event_at is None or processed > session.last_event_at):
            session.last_event_at = processed
        if event_type in _STATUS_EVENTS:
            session.status = _STATUS_EVENTS[event_type]
        elif event_type == "span.outcome_evaluation_end" and payload.get("result") in OUTCOME_RESULTS:
            session.outcome_result = payload["result"]
        if event_type in ("user.define_outcome", "span.outcome_evaluation_start", "span.outcome_evaluation_end"):
            _fold_evaluation(evaluations, payload)
    session.event_count += len(payloads)
    session.outcome_evaluations = list(evaluations.values())


def _fold_evaluation(evaluations: dict, payload: dict) -> None:
    outcome_id = payload.get("outcome_id")
    if not isinstance(outcome_id, str):
        return
    entry = evaluations.get(outcome_id)
    if entry is None:
        if len(evaluations) >= MAX_OUTCOMES:
            return
        entry = evaluations[outcome_id] = {
            "type": "outcome_evaluation", "outcome_id": outcome_id, "description": "", "iteration": 0,
            "result": "pending", "explanation": None, "completed_at": None,
        }
    iteration = payload.get("iteration")
    if isinstance(iteration, int) and not isinstance(iteration, bool):
        entry["iteration"] = iteration
    if payload["type"] == "user.define_outcome":
        if isinstance(payload.get("description"), str):
            entry["description"] = payload["description"]
    elif payload["type"] == "span.outcome_evaluation_start":
        entry["result"] = "evaluating"
    elif isinstance(payload.get("result"), str):
        entry["result"] = payload["result"]
        entry["explanation"] = payload.get("explanation") if isinstance(payload.get("explanation"), str) else None
        completed = payload.get("processed_at") if payload["result"] in _COMPLETED_RESULTS else None
        entry["completed_at"] = completed if isinstance(completed, str) else None


# --- operations ---------------------------------------------------------------------------------------

def register_session(
    *, workspace: Workspace, agent: Agent, title=None, metadata=None, environment_id, events=(), outcome_score=None,
    session_id=None, extra=None, actor: Actor | None = None, agent_snapshot=None, status=None, created_at=None,
    updated_at=None, archived_at=None, outcome_evaluations=None,
) -> Session:
    """Record a session with its first events. Imports pass the session's own id and timestamps;
    a `status` given here wins over the status events in `events`."""
    if agent.workspace_id != workspace.id:
        raise NotFound(f"Agent {agent.id!r} not found.")
    session_id = validate_session_id(session_id) if session_id is not None else None
    title = validate_title(title)
    metadata = validation.merge_metadata({}, metadata if metadata is not None else {})
    environment_id = validate_environment_id(environment_id)
    outcome_score = validate_score(outcome_score)
    status = validate_status(status) if status is not None else None
    extra = validate_json_object(extra if extra is not None else {}, field="extra")
    agent_snapshot = validate_json_object(agent_snapshot if agent_snapshot is not None else {}, field="agent")
    seeds = outcome_evaluations if outcome_evaluations is not None else []
    if not isinstance(seeds, list):
        raise InvalidRequest("`outcome_evaluations` must be a list.")
    _check_storable(seeds, "outcome_evaluations")
    now = dj_timezone.now()
    prepared = validate_events(events, field="initial_events", now=now)
    created_at = created_at or now
    session = Session(
        workspace=workspace, agent=agent, agent_snapshot=agent_snapshot, title=title, metadata=metadata,
        environment_id=environment_id, created_at=created_at, updated_at=updated_at or created_at,
        archived_at=archived_at, outcome_score=outcome_score, created_by=actor.as_json() if actor else None,
        outcome_evaluations=[e for e in seeds if isinstance(e, dict)], extra=extra,
    )
    if session_id is not None:
        session.id = session_id
    try:
        with transaction.atomic():
            session.save(force_insert=True)
            _insert_events(session, prepared)
            if status is not None and status != session.status:
                session.status = status
                session.save(update_fields=["status"])
    except IntegrityError:
        if session_id is not None and Session.objects.filter(pk=session_id).exists():
            raise Conflict(f"A session with id {session_id!r} already exists.") from None
        raise
    session.agent = agent
    return session


def append_events(*, session: Session, events, actor: Actor | None = None) -> list[SessionEvent]:
    """Append events in order. An event id the session already has is a 409; an archived session takes none."""
    prepared = validate_events(events)
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        if locked.archived_at is not None:
            raise InvalidRequest(f"Session {session.id!r} is archived; events cannot be added to it.")
        taken = existing_event_ids(session=locked, ids=[p["id"] for p in prepared])
        if taken:
            first = next(p["id"] for p in prepared if p["id"] in taken)
            raise Conflict(f"Session {session.id!r} already has an event with id {first!r}.",
                           extra={"conflicting_event_id": first})
        rows = _insert_events(locked, prepared)
        if rows:
            locked.updated_at = dj_timezone.now()
            locked.save()
    _refresh(session, locked)
    return rows


def append_new_events(*, session: Session, events) -> list[SessionEvent]:
    """For imports, inside the caller's transaction with the row locked: append the events whose
    id the session does not have yet, whatever its archive state. Returns the rows added."""
    prepared = validate_events(events)
    taken = existing_event_ids(session=session, ids=[p["id"] for p in prepared])
    return _insert_events(session, [p for p in prepared if p["id"] not in taken])


def existing_event_ids(*, session: Session, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        found.update(SessionEvent.objects.filter(session=session, id__in=chunk).values_list("id", flat=True))
    return found


def _insert_events(session: Session, prepared: list[dict]) -> list[SessionEvent]:
    if not prepared:
        return []
    fold_events(session, prepared)
    rows = []
    for payload in prepared:
        processed = payload.pop("_processed_at")
        rows.append(SessionEvent(session=session, id=payload["id"], type=payload["type"], processed_at=processed,
                                 payload=payload))
    # One INSERT in list order: seq follows the order the events were given.
    SessionEvent.objects.bulk_create(rows)
    session.save(update_fields=["status", "outcome_result", "outcome_evaluations", "event_count", "last_event_at"])
    if any(row.type in ENDED_EVENT_TYPES for row in rows):
        _after_commit_session_ended(session.id)
    return rows


def _after_commit_session_ended(session_id: str) -> None:
    """Count the session toward its stores' dream policies, off the request path."""
    transaction.on_commit(lambda: tasks.note_session_ended.delay(session_id))


def update_session(*, session: Session, actor: Actor | None = None, title=_UNSET, metadata=_UNSET,
                   outcome_score=_UNSET) -> Session:
    """Patch a session. `title=None` clears the title; `metadata` is a patch (null values delete keys,
    `None` changes nothing); `outcome_score=None` clears the score."""
    if title is not _UNSET:
        title = validate_title(title)
    if outcome_score is not _UNSET:
        outcome_score = validate_score(outcome_score)
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        if locked.archived_at is not None:
            raise InvalidRequest(f"Session {session.id!r} is archived and cannot be updated.")
        changed = False
        if title is not _UNSET:
            changed |= title != locked.title
            locked.title = title
        if metadata is not _UNSET and metadata is not None:
            merged = validation.merge_metadata(locked.metadata, metadata)
            changed |= merged != locked.metadata
            locked.metadata = merged
        if outcome_score is not _UNSET:
            changed |= outcome_score != locked.outcome_score
            locked.outcome_score = outcome_score
        if changed:
            locked.updated_at = dj_timezone.now()
            locked.save()
    _refresh(session, locked)
    return session


def archive_session(*, session: Session, actor: Actor | None = None) -> Session:
    """Irreversible; archiving an archived session returns it unchanged."""
    now = dj_timezone.now()
    Session.objects.filter(pk=session.pk, archived_at__isnull=True).update(archived_at=now, updated_at=now)
    session.refresh_from_db()
    return session


def delete_session(*, session: Session, actor: Actor | None = None) -> None:
    with transaction.atomic():
        # Bulk deletes: nothing hangs off events, so no rows are loaded.
        SessionEvent.objects.filter(session=session).delete()
        Session.objects.filter(pk=session.pk).delete()
    log.info("session %s deleted by %s", session.id, actor.as_json() if actor else "a command")


def _refresh(session: Session, locked: Session) -> None:
    for field in ("title", "metadata", "outcome_score", "updated_at", "status", "outcome_result",
                  "outcome_evaluations", "event_count", "last_event_at", "archived_at"):
        setattr(session, field, getattr(locked, field))


# --- reading ------------------------------------------------------------------------------------------

def get_session(*, workspace: Workspace, session_id: str, agent: Agent | None = None) -> Session:
    """The session within the workspace; with `agent`, only that agent's own sessions (others are 404)."""
    sessions = Session.objects.select_related("agent").filter(workspace=workspace, pk=session_id)
    if agent is not None:
        sessions = sessions.filter(agent=agent)
    session = sessions.first()
    if session is None:
        raise NotFound(f"Session {session_id!r} not found.")
    return session


def list_sessions(
    *, workspace: Workspace, agent: Agent | None = None, agent_id=None, statuses=(), include_archived=False,
    created_gt=None, created_gte=None, created_lt=None, created_lte=None, deployment_id=None,
):
    """Sessions of the workspace (only `agent`'s own when given), filtered; unordered (the pager orders)."""
    sessions = Session.objects.select_related("agent").filter(workspace=workspace)
    if agent is not None:
        sessions = sessions.filter(agent=agent)
    if agent_id:
        sessions = sessions.filter(agent_id=agent_id)
    if statuses:
        unknown = [s for s in statuses if s not in STATUSES]
        if unknown:
            raise InvalidRequest(f"`statuses[]` must hold only {', '.join(STATUSES)} (got {unknown[0][:40]!r}).")
        sessions = sessions.filter(status__in=list(statuses))
    if not include_archived:
        sessions = sessions.filter(archived_at__isnull=True)
    for lookup, value in (("gt", created_gt), ("gte", created_gte), ("lt", created_lt), ("lte", created_lte)):
        if value is not None:
            sessions = sessions.filter(**{f"created_at__{lookup}": value})
    if deployment_id:
        # Reverie has no deployments; only imported sessions can carry one.
        sessions = sessions.filter(extra__deployment_id=deployment_id)
    return sessions


def list_events(*, session: Session, types=(), processed_gt=None, processed_gte=None, processed_lt=None,
                processed_lte=None):
    events = SessionEvent.objects.filter(session=session)
    if types:
        events = events.filter(type__in=list(types))
    for lookup, value in (("gt", processed_gt), ("gte", processed_gte), ("lt", processed_lt), ("lte", processed_lte)):
        if value is not None:
            events = events.filter(**{f"processed_at__{lookup}": value})
    return events


def follow_events(*, session_id: str, after_seq: int, poll_seconds: float = 0.5, heartbeat_seconds: float = 15,
                  max_seconds: float = 300, clock=time.monotonic, sleep=time.sleep):
    """Events appended to a session after `after_seq`, in order, as they arrive: the live tail
    behind the event stream. Yields None as a heartbeat when nothing came for `heartbeat_seconds`.
    Ends once the session is terminated, archived or deleted (after what it had), or after
    `max_seconds`, when a client reconnects to go on. Polls: a row a poll, on the (session, seq) index."""
    started = last_sent = clock()
    while True:
        batch = list(SessionEvent.objects.filter(session_id=session_id, seq__gt=after_seq).order_by("seq")[:100])
        for event in batch:
            after_seq = event.seq
            yield event
        if batch:
            last_sent = clock()
            if len(batch) == 100:
                continue  # more are waiting: no pause
        state = Session.objects.filter(pk=session_id).values_list("status", "archived_at").first()
        if state is None or state[0] == SessionStatus.TERMINATED or state[1] is not None:
            return
        if clock() - started >= max_seconds:
            return
        if clock() - last_sent >= heartbeat_seconds:
            last_sent = clock()
            yield None
        sleep(poll_seconds)


def page_sessions(sessions, *, order: str = "desc", token: str | None = None, limit: int = 20):
    """Keyset pages on (created_at, id) in `order`, both ways. Returns (rows, next_page, prev_page)."""
    scope = f"sessions:{order}"
    ascending = order == "asc"
    forward = ("created_at", "id") if ascending else ("-created_at", "-id")
    backward = ("-created_at", "-id") if ascending else ("created_at", "id")
    direction = "next"
    if token:
        position = decode_cursor(token, scope=scope)
        created = parse_datetime(str(position.get("t", "")))
        last_id, direction = position.get("i"), position.get("d")
        if created is None or not isinstance(last_id, str) or direction not in ("next", "prev"):
            raise InvalidRequest("`page` is not a valid page cursor for this list.")
        later = Q(created_at__gt=created) | Q(created_at=created, id__gt=last_id)
        earlier = Q(created_at__lt=created) | Q(created_at=created, id__lt=last_id)
        sessions = sessions.filter(later if (direction == "next") == ascending else earlier)
    if direction == "next":
        rows = list(sessions.order_by(*forward)[: limit + 1])
        more_after, more_before = len(rows) > limit, bool(token)
        rows = rows[:limit]
    else:
        rows = list(sessions.order_by(*backward)[: limit + 1])
        more_after, more_before = True, len(rows) > limit
        rows = rows[:limit][::-1]

    def cursor(row, way):
        return encode_cursor({"s": scope, "t": row.created_at.isoformat(), "i": row.id, "d": way})

    next_page = cursor(rows[-1], "next") if rows and more_after else None
    prev_page = cursor(rows[0], "prev") if rows and more_before else None
    return rows, next_page, prev_page


def page_events(events, *, session: Session, order: str = "asc", token: str | None = None, limit: int = 20):
    """Pages in arrival order (`seq`), either way. Returns (rows, next_page)."""
    scope = f"events:{session.id}:{order}"
    events = events.order_by("seq" if order == "asc" else "-seq")
    if token:
        position = decode_cursor(token, scope=scope)
        seq = position.get("q")
        if isinstance(seq, bool) or not isinstance(seq, int):
            raise InvalidRequest("`page` is not a valid page cursor for this list.")
        events = events.filter(seq__gt=seq) if order == "asc" else events.filter(seq__lt=seq)
    rows = list(events[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor({"s": scope, "q": rows[-1].seq})
