"""Creating, cancelling and archiving dreams: validation and guarded transitions.

Status changes are conditional UPDATEs on the current status, so a cancel racing
the worker, a double click or a redelivered task can never move a dream out of
a terminal state.
"""

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from dreams import engines
from dreams.models import ACTIVE_STATUSES, Dream, DreamStatus, OutputBehavior, Proposal
from dreams.models.dreams import TERMINAL_STATUSES
from memory import validation
from memory.access import Principal, get_store
from memory.errors import Conflict, InvalidRequest, NotFound

MAX_SESSION_IDS = 100
MAX_FILTER_SESSIONS = 10_000
MAX_INSTRUCTIONS = 4096
# The agent dreams run as. Its sessions are dreams' own transcripts, never input to another dream.
DREAMER_AGENT = "reverie-dreamer"
OUTCOME_RANK = {"failed": 0, "interrupted": 0, "max_iterations_reached": 1, "needs_revision": 2, "satisfied": 3}


MAX_BUDGET_TOKENS = 2**63 - 1  # what the column holds


def create_dream(
    *, principal: Principal, inputs, model, instructions=None, output_behavior=None, session_filter=None,
    budget_tokens=None, trigger: str = "api",
) -> Dream:
    principal.require_admin()
    store_id, session_ids = _parse_inputs(inputs, has_filter=session_filter is not None)
    model_id, speed, engine = parse_runnable_model(model)
    instructions = _parse_instructions(instructions)
    behavior = _parse_output_behavior(output_behavior, store_id)
    session_filter = parse_session_filter(session_filter) if session_filter is not None else None
    if budget_tokens is not None and (not isinstance(budget_tokens, int) or isinstance(budget_tokens, bool)
                                      or not 1 <= budget_tokens <= MAX_BUDGET_TOKENS):
        raise InvalidRequest(f"`budget_tokens` must be an integer from 1 to {MAX_BUDGET_TOKENS}.")

    store = get_store(principal, store_id, write=behavior == OutputBehavior.UPDATE_EXISTING)
    if store.archived_at is not None:
        raise InvalidRequest(f"Memory store {store_id!r} is archived; a dream cannot read it.")
    if session_ids:
        _check_sessions_exist(principal, session_ids)

    try:
        with transaction.atomic():
            dream = Dream.objects.create(
                workspace=principal.workspace, input_store=store, session_ids=session_ids,
                session_filter=session_filter, model_id=model_id, model_speed=speed, instructions=instructions,
                output_behavior=behavior, budget_tokens=budget_tokens, created_by=principal.actor.as_json(),
                trigger=trigger, progress={"engine": engine},
            )
    except IntegrityError:
        raise Conflict(
            f"Another update_existing dream on memory store {store_id!r} has not finished; "
            "cancel it or wait for it to end."
        ) from None
    from dreams.tasks import run_dream

    transaction.on_commit(lambda: run_dream.delay(dream.id))
    return dream


def get_dream(*, principal: Principal, dream_id: str) -> Dream:
    principal.require_admin()
    dream = Dream.objects.filter(id=dream_id, workspace=principal.workspace).select_related("proposal").first()
    if dream is None:
        raise NotFound(f"Dream {dream_id!r} not found.")
    return dream


def behavior_request(output_behavior: str, store_id: str) -> dict:
    """The `output_behavior` request body for a behavior on a store (for reruns and triggers)."""
    behavior = {"type": output_behavior}
    if output_behavior == OutputBehavior.UPDATE_EXISTING:
        behavior["memory_store_id"] = store_id
    return behavior


def rerun_dream(*, principal: Principal, dream: Dream) -> Dream:
    """A new dream with the same inputs: what an operator does after a conflict."""
    inputs = [{"type": "memory_store", "memory_store_id": dream.input_store_id}]
    if dream.session_filter is None:
        inputs.append({"type": "sessions", "session_ids": dream.session_ids})
    return create_dream(
        principal=principal, inputs=inputs, model={"id": dream.model_id, "speed": dream.model_speed},
        instructions=dream.instructions, output_behavior=behavior_request(dream.output_behavior, dream.input_store_id),
        session_filter=dream.session_filter, budget_tokens=dream.budget_tokens, trigger="rerun",
    )


def get_proposal(*, principal: Principal, dream_id: str) -> Proposal:
    dream = get_dream(principal=principal, dream_id=dream_id)
    proposal = Proposal.objects.filter(dream=dream).first()
    if proposal is None:
        raise NotFound(f"Dream {dream_id!r} has no proposal yet (it is {dream.status}).")
    return proposal


def cancel_dream(*, dream: Dream) -> Dream:
    """pending/running → canceled. Already canceled: unchanged. Completed or failed: 400."""
    now = timezone.now()
    Dream.objects.filter(pk=dream.pk, status__in=ACTIVE_STATUSES).update(status=DreamStatus.CANCELED, ended_at=now)
    dream.refresh_from_db()
    if dream.status in (DreamStatus.COMPLETED, DreamStatus.FAILED):
        raise InvalidRequest(f"Dream {dream.id!r} is already {dream.status} and cannot be canceled.")
    return dream


def archive_dream(*, dream: Dream) -> Dream:
    if dream.status not in TERMINAL_STATUSES:
        raise InvalidRequest(f"Dream {dream.id!r} is {dream.status}; only finished dreams can be archived.")
    Dream.objects.filter(pk=dream.pk, archived_at__isnull=True).update(archived_at=timezone.now())
    dream.refresh_from_db()
    return dream


def finish_dream(*, dream_id: str, status: str, error: dict | None = None) -> bool:
    """running → a terminal status; False when the dream was canceled (or reaped) meanwhile."""
    return bool(
        Dream.objects.filter(pk=dream_id, status=DreamStatus.RUNNING).update(
            status=status, error=error, ended_at=timezone.now()
        )
    )


def _parse_inputs(inputs, *, has_filter: bool) -> tuple[str, list[str]]:
    if not isinstance(inputs, list):
        raise InvalidRequest("`inputs` must be a list with one `memory_store` entry and one `sessions` entry.")
    stores = [i for i in inputs if isinstance(i, dict) and i.get("type") == "memory_store"]
    sessions = [i for i in inputs if isinstance(i, dict) and i.get("type") == "sessions"]
    if len(stores) + len(sessions) != len(inputs):
        raise InvalidRequest("Each of `inputs` must be an object of type `memory_store` or `sessions`.")
    if len(stores) != 1:
        raise InvalidRequest("`inputs` must have exactly one `memory_store` entry.")
    store_id = stores[0].get("memory_store_id")
    if not isinstance(store_id, str) or not store_id:
        raise InvalidRequest("`inputs[].memory_store_id` must be a memory store id.")
    if has_filter:
        if sessions:
            raise InvalidRequest("Give either a `sessions` input or a `session_filter`, not both.")
        return store_id, []
    if len(sessions) != 1:
        raise InvalidRequest("`inputs` must have exactly one `sessions` entry (or use `session_filter`).")
    ids = sessions[0].get("session_ids")
    if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_SESSION_IDS:
        raise InvalidRequest(f"`session_ids` must be a list of 1 to {MAX_SESSION_IDS} session ids.")
    if not all(isinstance(s, str) and s for s in ids):
        raise InvalidRequest("`session_ids` must hold session id strings.")
    if len(set(ids)) != len(ids):
        raise InvalidRequest("`session_ids` must not repeat a session.")
    return store_id, sorted(ids)


def parse_runnable_model(model) -> tuple[str, str, str]:
    """(model id, speed, engine) for a model this server can run; InvalidRequest otherwise."""
    model_id, speed = _parse_model(model)
    engine = engines.engine_for(model_id)
    if engine is None:
        raise InvalidRequest(
            f"Model {model_id!r} cannot run on this server; use one of: {', '.join(sorted(engines.available()))} "
            "(or a Claude model id)."
        )
    return model_id, speed, engine


def _parse_model(model) -> tuple[str, str]:
    if isinstance(model, str):
        model_id, speed = model, "standard"
    elif isinstance(model, dict):
        model_id, speed = model.get("id"), model.get("speed") or "standard"
    else:
        raise InvalidRequest("`model` must be a model id or an object {id, speed}.")
    if not isinstance(model_id, str) or not 1 <= len(model_id) <= 256:
        raise InvalidRequest("`model.id` must be a string of 1 to 256 characters.")
    if speed != "standard":
        raise InvalidRequest("`model.speed` must be `standard`.")
    return model_id, speed


def _parse_instructions(instructions):
    if instructions is None:
        return None
    if not isinstance(instructions, str) or not 1 <= len(instructions) <= MAX_INSTRUCTIONS:
        raise InvalidRequest(f"`instructions` must be a string of 1 to {MAX_INSTRUCTIONS} characters.")
    if "\x00" in instructions:
        raise InvalidRequest("`instructions` must not contain NUL characters.")
    return instructions


def _parse_output_behavior(value, store_id: str) -> str:
    if value is None:
        return OutputBehavior.CREATE_NEW
    if not isinstance(value, dict) or value.get("type") not in OutputBehavior.values:
        raise InvalidRequest("`output_behavior.type` must be `create_new` or `update_existing`.")
    if value["type"] == OutputBehavior.UPDATE_EXISTING and value.get("memory_store_id") != store_id:
        raise InvalidRequest("`output_behavior.memory_store_id` must be the input memory store for update_existing.")
    return value["type"]


def parse_session_filter(value) -> dict:
    """{agent_ids?, created_after?, created_before?, min_outcome?, min_score?, max_sessions?}"""
    if not isinstance(value, dict):
        raise InvalidRequest("`session_filter` must be an object.")
    known = {"agent_ids", "created_after", "created_before", "min_outcome", "min_score", "max_sessions"}
    unknown = set(value) - known
    if unknown:
        raise InvalidRequest(f"`session_filter` has unknown fields: {', '.join(sorted(unknown))}.")
    result: dict = {}
    if (agents := value.get("agent_ids")) is not None:
        if not isinstance(agents, list) or not all(isinstance(a, str) and validation.is_storable(a) for a in agents):
            raise InvalidRequest("`session_filter.agent_ids` must be a list of agent ids.")
        result["agent_ids"] = sorted(set(agents))
    for field in ("created_after", "created_before"):
        if (raw := value.get(field)) is not None:
            try:
                parsed = parse_datetime(raw) if isinstance(raw, str) else None
            except ValueError:  # well formed but impossible, such as month 13
                parsed = None
            if parsed is None:
                raise InvalidRequest(f"`session_filter.{field}` must be an RFC 3339 date-time.")
            result[field] = raw
    if (outcome := value.get("min_outcome")) is not None:
        if outcome not in OUTCOME_RANK:
            raise InvalidRequest(f"`session_filter.min_outcome` must be one of {', '.join(OUTCOME_RANK)}.")
        result["min_outcome"] = outcome
    if (score := value.get("min_score")) is not None:
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 1:
            raise InvalidRequest("`session_filter.min_score` must be a number from 0 to 1.")
        result["min_score"] = float(score)
    max_sessions = value.get("max_sessions", MAX_SESSION_IDS)
    if isinstance(max_sessions, bool) or not isinstance(max_sessions, int) or not 1 <= max_sessions <= MAX_FILTER_SESSIONS:
        raise InvalidRequest(f"`session_filter.max_sessions` must be an integer from 1 to {MAX_FILTER_SESSIONS}.")
    result["max_sessions"] = max_sessions
    return result


def sessions_matching(*, workspace, session_filter: dict):
    """The sessions a filter selects, newest first, capped at max_sessions."""
    from dreams.models import Session

    sessions = Session.objects.filter(workspace=workspace, archived_at__isnull=True).exclude(
        agent__name=DREAMER_AGENT
    )
    if agents := session_filter.get("agent_ids"):
        sessions = sessions.filter(agent_id__in=agents)
    if after := session_filter.get("created_after"):
        sessions = sessions.filter(created_at__gte=parse_datetime(after))
    if before := session_filter.get("created_before"):
        sessions = sessions.filter(created_at__lte=parse_datetime(before))
    if outcome := session_filter.get("min_outcome"):
        wanted = [r for r, rank in OUTCOME_RANK.items() if rank >= OUTCOME_RANK[outcome]]
        sessions = sessions.filter(outcome_result__in=wanted)
    if (score := session_filter.get("min_score")) is not None:
        sessions = sessions.filter(Q(outcome_score__gte=score))
    return sessions.order_by("-created_at", "-id")[: session_filter["max_sessions"]]


def _check_sessions_exist(principal: Principal, session_ids: list[str]) -> None:
    from dreams.models import Session

    found = set(Session.objects.filter(workspace=principal.workspace, id__in=session_ids).values_list("id", flat=True))
    missing = [s for s in session_ids if s not in found]
    if missing:
        raise NotFound(f"Session {missing[0]!r} not found" + (f" (and {len(missing) - 1} more)." if len(missing) > 1 else "."))
