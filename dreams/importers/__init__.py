"""Bringing sessions in from elsewhere: export files, Claude Code transcripts, another API.

Every source is turned into the export shape, `{"session": {...}, "events": [...]}` as
`sessions.retrieve` and `sessions.events.list` return them, and goes through
`import_session`: one transaction per session, so a session either imports whole
or not at all. Imports keep the session's own id and timestamps, file the session
under an agent of the same name (created if needed), and are idempotent: a session
already here gets only the events whose ids it lacks, and the fields the source
changed (an archive or an outcome score set here is not undone by a source without one).
"""

import hashlib
import json
from dataclasses import dataclass, field

from django.db import transaction

from dreams import sessions
from dreams.models import Session
from memory import identity, validation
from memory.errors import InvalidRequest, ReverieError

IMPORTED = "imported"
UPDATED = "updated"
UNCHANGED = "unchanged"
FAILED = "failed"

# Session fields Reverie computes or keeps in columns; everything else is kept in `extra`.
_KNOWN_FIELDS = {
    "type", "id", "agent", "title", "metadata", "environment_id", "status", "created_at", "updated_at",
    "archived_at", "outcome_evaluations", "outcome", "outcome_score", "event_count", "last_event_at", "created_by",
}


def loads(text: str):
    """JSON as the API speaks it: NaN and Infinity are not JSON (and no database stores them)."""
    return json.loads(text, parse_constant=_refuse_constant)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


class ImportFailed(Exception):
    """A source that cannot be imported; the message names the source and the problem."""


@dataclass
class SessionImport:
    source: str  # where it came from, for messages: "path/to/file.json", "file.json[2]", "URL sesn_…"
    data: object  # should be {"session": {...}, "events": [...]}
    agent_name: str | None = None  # overrides the agent the session names
    error: str | None = None  # the source could not even be read (a malformed line, a failed download)


@dataclass
class ImportReport:
    counts: dict = field(default_factory=lambda: {IMPORTED: 0, UNCHANGED: 0, UPDATED: 0, FAILED: 0})
    failures: list = field(default_factory=list)  # (source, message)
    warnings: list = field(default_factory=list)

    def add(self, outcome: str) -> None:
        self.counts[outcome] += 1

    def fail(self, source: str, message: str) -> None:
        self.counts[FAILED] += 1
        self.failures.append((source, message))


def import_session(*, workspace, item: SessionImport) -> tuple[str, str]:
    """Import one session. Returns (outcome, session id); raises ImportFailed naming the source."""
    if item.error is not None:
        raise ImportFailed(f"{item.source}: {item.error}")
    try:
        fields, events, agent_name = _parse(item)
        with transaction.atomic():
            agent = identity.get_or_create_agent(workspace=workspace, name=agent_name)
            fields["agent_snapshot"] = _without_defaults(
                fields["agent_snapshot"], {**sessions.AGENT_DEFAULTS, "description": agent.description or None}
            )
            existing = (Session.objects.select_for_update().select_related("agent")
                        .filter(pk=fields["session_id"]).first())
            if existing is None:
                sessions.register_session(workspace=workspace, agent=agent, events=events, **fields)
                return IMPORTED, fields["session_id"]
            return _merge(existing, workspace, agent, fields, events), existing.id
    except ReverieError as exc:
        raise ImportFailed(f"{item.source}: {exc.message}") from None


def _parse(item: SessionImport) -> tuple[dict, list, str]:
    data = item.data
    shaped = isinstance(data, dict) and isinstance(data.get("session"), dict) and isinstance(data.get("events"), list)
    if not shaped:
        raise InvalidRequest('expected an object {"session": {...}, "events": [...]}.')
    session, events = data["session"], data["events"]
    session_id = sessions.validate_session_id(session.get("id"), field="session.id")
    agent = session.get("agent")
    agent_name = item.agent_name or (agent.get("name") if isinstance(agent, dict) else None)
    if not isinstance(agent_name, str) or not agent_name:
        raise InvalidRequest("`session.agent.name` is required: sessions are filed under an agent of that name.")
    snapshot = {k: v for k, v in agent.items() if k not in ("type", "id", "name")} if isinstance(agent, dict) else {}
    outcome = session.get("outcome") if isinstance(session.get("outcome"), dict) else {}
    score = session["outcome_score"] if "outcome_score" in session else outcome.get("score")
    # Events without an id get one derived from the session, their position and their content,
    # so that importing the same file again recognises them.
    events = [_with_id(session_id, index, event) for index, event in enumerate(events)]
    sessions.validate_events(events, field="events")
    created_at = sessions.parse_timestamp(session.get("created_at"), field="session.created_at")
    evaluations = session.get("outcome_evaluations")
    fields = {
        "session_id": session_id,
        "title": session.get("title"),
        "metadata": session.get("metadata") if session.get("metadata") is not None else {},
        "environment_id": session.get("environment_id"),
        "status": sessions.validate_status(session["status"]) if session.get("status") is not None else None,
        "created_at": created_at,
        "updated_at": sessions.parse_timestamp(session.get("updated_at"), field="session.updated_at") or created_at,
        "archived_at": sessions.parse_timestamp(session.get("archived_at"), field="session.archived_at"),
        "outcome_score": sessions.validate_score(score),
        "outcome_evaluations": evaluations if isinstance(evaluations, list) else None,
        "agent_snapshot": snapshot,
        # What Reverie would show anyway is not kept, so an export of this Reverie re-imports unchanged.
        "extra": _without_defaults({k: v for k, v in session.items() if k not in _KNOWN_FIELDS},
                                   sessions.SESSION_DEFAULTS),
    }
    return fields, events, agent_name


def _without_defaults(values: dict, defaults: dict) -> dict:
    return {k: v for k, v in values.items() if k not in defaults or v != defaults[k]}


def _with_id(session_id: str, index: int, event):
    if not isinstance(event, dict) or event.get("id") is not None:
        return event
    canonical = json.dumps(event, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(f"{session_id}\n{index}\n{canonical}".encode("utf-8", "surrogatepass")).hexdigest()
    return {**event, "id": f"sevt_imp_{digest[:32]}"}


def _merge(existing: Session, workspace, agent, fields: dict, events: list) -> str:
    """A session already here (its row locked): append the events it lacks and take the source's fields."""
    if existing.workspace_id != workspace.id:
        raise InvalidRequest(
            f"session {existing.id!r} already exists in another workspace; a session id is unique across this Reverie."
        )
    if existing.agent_id != agent.id:
        raise InvalidRequest(
            f"session {existing.id!r} already belongs to agent {existing.agent.name!r}, not {agent.name!r}."
        )
    title = sessions.validate_title(fields["title"])
    environment_id = sessions.validate_environment_id(fields["environment_id"])
    metadata = validation.merge_metadata({}, fields["metadata"])
    sessions.validate_json_object(fields["extra"], field="extra")
    added = sessions.append_new_events(session=existing, events=events)
    # The source decides what it carries; it does not undo what was done here (an archive, a grade).
    wanted = {
        "title": title, "environment_id": environment_id, "metadata": metadata, "extra": fields["extra"],
        "agent_snapshot": fields["agent_snapshot"], "archived_at": existing.archived_at or fields["archived_at"],
    }
    if fields["outcome_score"] is not None:
        wanted["outcome_score"] = fields["outcome_score"]
    if fields["status"] is not None:
        wanted["status"] = fields["status"]
    if fields["created_at"] is not None:
        wanted["created_at"] = fields["created_at"]
    if fields["updated_at"] is not None:
        wanted["updated_at"] = max(existing.updated_at, fields["updated_at"])
    changed = [name for name, value in wanted.items() if getattr(existing, name) != value]
    for name in changed:
        setattr(existing, name, wanted[name])
    if changed:
        existing.save(update_fields=changed)
    return UPDATED if changed or added else UNCHANGED
