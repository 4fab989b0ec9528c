"""/v1/sessions: what `client.beta.sessions` and `.events` send, as Reverie records it.

Reverie runs no agents: a session here is a transcript that automation registers
and appends to. Who may do what:
- admin keys: every session of their workspace;
- agent keys: create sessions for their own agent only (another agent: 403), read,
  list, append to and retitle their own sessions (others' answer 404, as if absent);
  the outcome score, archive and delete need an admin key (403): the score decides
  which sessions dreams learn from, so an agent does not grade itself.
"""

import json
import threading

from django.conf import settings
from django.http import StreamingHttpResponse
from rest_framework.decorators import api_view, renderer_classes
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from dreams import sessions
from dreams.models import Session
from memory import identity
from memory.api import params
from memory.api.render import timestamp
from memory.errors import InvalidRequest, PermissionDenied, ReverieError

ORDERS = ("asc", "desc")
_SNAPSHOT_FIELDS = ("model", "system", "tools", "skills", "mcp_servers", "description")


@api_view(["GET", "POST"])
def sessions_collection(request):
    principal = request.user
    if request.method == "POST":
        return Response(render_session(_create(request, principal)))

    queryset = sessions.list_sessions(
        workspace=principal.workspace,
        agent=principal.agent,
        agent_id=params.get_str(request, "agent_id"),
        statuses=params.get_list(request, "statuses"),
        include_archived=params.get_bool(request, "include_archived"),
        created_gt=params.get_datetime(request, "created_at[gt]"),
        created_gte=params.get_datetime(request, "created_at[gte]"),
        created_lt=params.get_datetime(request, "created_at[lt]"),
        created_lte=params.get_datetime(request, "created_at[lte]"),
        deployment_id=params.get_str(request, "deployment_id"),
    )
    # `agent_version` and `memory_store_id` are accepted and ignored: Reverie keeps no agent
    # versions, and a session's resources are not tracked.
    rows, next_page, prev_page = sessions.page_sessions(
        queryset, order=_order(request, default="desc"), token=params.get_str(request, "page"),
        limit=params.get_limit(request),
    )
    return Response({"data": [render_session(s) for s in rows], "next_page": next_page, "prev_page": prev_page})


@api_view(["GET", "POST", "PATCH", "DELETE"])
def session_detail(request, session_id):
    principal = request.user
    session = sessions.get_session(workspace=principal.workspace, session_id=session_id, agent=principal.agent)
    if request.method == "GET":
        return Response(render_session(session))
    if request.method == "DELETE":
        principal.require_admin()
        sessions.delete_session(session=session, actor=principal.actor)
        return Response({"type": "session_deleted", "id": session.id})
    data = request.data
    fields = {k: data[k] for k in ("title", "metadata", "outcome_score") if k in data}
    if "outcome_score" in fields:
        _require_admin_for_score(principal)
    if data.get("vault_ids"):
        raise InvalidRequest("`vault_ids` cannot be changed after a session is created.")
    session = sessions.update_session(session=session, actor=principal.actor, **fields)
    return Response(render_session(session))


@api_view(["POST"])
def archive(request, session_id):
    principal = request.user
    session = sessions.get_session(workspace=principal.workspace, session_id=session_id, agent=principal.agent)
    principal.require_admin()
    return Response(render_session(sessions.archive_session(session=session, actor=principal.actor)))


@api_view(["GET", "POST"])
def events(request, session_id):
    principal = request.user
    session = sessions.get_session(workspace=principal.workspace, session_id=session_id, agent=principal.agent)
    if request.method == "POST":
        if "events" not in request.data:
            raise InvalidRequest("`events` is required: a list of event objects.")
        rows = sessions.append_events(session=session, events=request.data["events"], actor=principal.actor)
        return Response({"data": [row.payload for row in rows]})

    queryset = sessions.list_events(
        session=session,
        types=params.get_list(request, "types"),
        processed_gt=params.get_datetime(request, "created_at[gt]"),
        processed_gte=params.get_datetime(request, "created_at[gte]"),
        processed_lt=params.get_datetime(request, "created_at[lt]"),
        processed_lte=params.get_datetime(request, "created_at[lte]"),
    )
    rows, next_page = sessions.page_events(
        queryset, session=session, order=_order(request, default="asc"), token=params.get_str(request, "page"),
        limit=params.get_limit(request),
    )
    return Response({"data": [row.payload for row in rows], "next_page": next_page})


class EventStreamRenderer(BaseRenderer):
    """Lets a client that accepts only text/event-stream reach the stream view (errors stay JSON)."""

    media_type = "text/event-stream"
    format = "sse"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data).encode()


class TooManyStreams(ReverieError):
    status = 429
    error_type = "rate_limit_error"


_slots = threading.Lock()
_open_streams = 0


class _EventStream:
    """The SSE body: one `event: <type>` frame per session event, `ping` frames while idle.
    It holds one of the process's stream slots until the server closes it (end or disconnect)."""

    def __init__(self, session_id: str, after_seq: int):
        self.events = sessions.follow_events(session_id=session_id, after_seq=after_seq,
                                             max_seconds=settings.REVERIE_EVENT_STREAM_SECONDS)
        self.released = False

    def __iter__(self):
        # A comment frame first, so the status and headers reach the client before any event does.
        yield b": stream open\n\n"
        for event in self.events:
            if event is None:
                yield b"event: ping\ndata: {}\n\n"
            else:
                yield f"event: {event.type}\ndata: {json.dumps(event.payload)}\n\n".encode()

    def close(self):
        global _open_streams
        self.events.close()
        with _slots:
            if not self.released:
                self.released = True
                _open_streams -= 1


@api_view(["GET"])
@renderer_classes([JSONRenderer, EventStreamRenderer])
def events_stream(request, session_id):
    """`sessions.events.stream`: the events appended from now on, as server-sent events, until the
    session is terminated or archived (or REVERIE_EVENT_STREAM_SECONDS pass; reconnect to go on).
    `event_deltas` is accepted and has nothing to send: events reach Reverie whole."""
    global _open_streams
    principal = request.user
    session = sessions.get_session(workspace=principal.workspace, session_id=session_id, agent=principal.agent)
    params.get_list(request, "event_deltas")
    after = session.events.order_by("-seq").values_list("seq", flat=True).first() or 0
    with _slots:
        if _open_streams >= settings.REVERIE_MAX_EVENT_STREAMS:
            raise TooManyStreams(f"This server process already serves {_open_streams} event streams "
                                 "(REVERIE_MAX_EVENT_STREAMS); retry shortly.")
        _open_streams += 1
    response = StreamingHttpResponse(_EventStream(session.id, after), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # a proxy in front must not hold frames back
    return response


def _create(request, principal) -> Session:
    data = request.data
    for field in ("agent", "environment_id"):
        if field not in data:
            raise InvalidRequest(f"`{field}` is required.")
    agent_id, snapshot = _parse_agent(data["agent"])
    agent = identity.get_agent(workspace=principal.workspace, agent_id=agent_id)
    if not principal.is_admin and agent.id != principal.agent.id:
        raise PermissionDenied("An agent key can create sessions only for its own agent.")
    if data.get("outcome_score") is not None:
        _require_admin_for_score(principal)
    initial_events = data.get("initial_events")
    return sessions.register_session(
        workspace=principal.workspace, agent=agent, actor=principal.actor, agent_snapshot=snapshot,
        title=data.get("title"), metadata=data.get("metadata"), environment_id=data["environment_id"],
        events=initial_events if initial_events is not None else [], outcome_score=data.get("outcome_score"),
    )


def _parse_agent(value) -> tuple[str, dict]:
    """`agent` is an agent id, `{type: "agent", id, version?}` or `{type: "agent_with_overrides", id, …}`."""
    if isinstance(value, str) and value:
        return value, {}
    if not isinstance(value, dict) or not isinstance(value.get("id"), str) or not value["id"]:
        raise InvalidRequest("`agent` must be an agent id, or an object with the agent's `id`.")
    snapshot = {}
    version = value.get("version")
    if version is not None:
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise InvalidRequest("`agent.version` must be an integer of at least 1.")
        snapshot["version"] = version
    for field in _SNAPSHOT_FIELDS:
        if field in value:
            snapshot[field] = value[field]
    if isinstance(snapshot.get("model"), str):
        snapshot["model"] = {"id": snapshot["model"]}
    return value["id"], snapshot


def _require_admin_for_score(principal) -> None:
    if not principal.is_admin:
        raise PermissionDenied(
            "Only a workspace admin key can set `outcome_score`; agents do not grade their own sessions."
        )


def _order(request, *, default: str) -> str:
    order = params.get_str(request, "order") or default
    if order not in ORDERS:
        raise InvalidRequest("`order` must be `asc` or `desc`.")
    return order


def render_session(session: Session) -> dict:
    """The SDK's session object, every required field present, plus Reverie's extensions
    (`outcome`, `event_count`, `last_event_at`, `created_by`)."""
    agent = {"type": "agent", "id": session.agent_id, "name": session.agent.name, **sessions.AGENT_DEFAULTS,
             "description": session.agent.description or None}
    agent.update({k: v for k, v in session.agent_snapshot.items() if k not in ("type", "id", "name")})
    body = {**sessions.SESSION_DEFAULTS, **session.extra}
    body.update({
        "type": "session",
        "id": session.id,
        "agent": agent,
        "title": session.title,
        "status": session.status,
        "environment_id": session.environment_id,
        "metadata": session.metadata,
        "outcome_evaluations": session.outcome_evaluations,
        "created_at": timestamp(session.created_at),
        "updated_at": timestamp(session.updated_at),
        "archived_at": timestamp(session.archived_at),
        # Reverie extensions
        "outcome": {"result": session.outcome_result, "score": session.outcome_score},
        "event_count": session.event_count,
        "last_event_at": timestamp(session.last_event_at),
        "created_by": session.created_by,
    })
    return body
