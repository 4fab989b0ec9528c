"""Starting, rerunning, cancelling and archiving dreams: the typed domain functions.

The wire shapes (the `inputs` list, `model` as a string or object, `output_behavior` as an
object) are parsed at the API edge (dreams/api/requests.py); status transitions live in
dreams/states.py.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from dreams import engines, states
from dreams.models import Dream, OutputBehavior, Proposal, Session
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


@dataclass(frozen=True)
class SessionFilter:
    """Which sessions a dream reads when it is not given their ids; resolved when the dream starts.
    Dates stay as the RFC 3339 text they were given (the API echoes them as sent)."""

    agent_ids: tuple[str, ...] = ()
    created_after: str | None = None
    created_before: str | None = None
    min_outcome: str | None = None
    min_score: float | None = None
    max_sessions: int = MAX_SESSION_IDS

    def __post_init__(self):
        if not all(isinstance(a, str) and validation.is_storable(a) for a in self.agent_ids):
            raise InvalidRequest("`session_filter.agent_ids` must be a list of agent ids.")
        for name in ("created_after", "created_before"):
            if getattr(self, name) is not None and _instant(getattr(self, name)) is None:
                raise InvalidRequest(f"`session_filter.{name}` must be an RFC 3339 date-time.")
        if self.min_outcome is not None and self.min_outcome not in list(OUTCOME_RANK):  # list: any type compares
            raise InvalidRequest(f"`session_filter.min_outcome` must be one of {', '.join(OUTCOME_RANK)}.")
        if self.min_score is not None and (isinstance(self.min_score, bool) or not 0 <= self.min_score <= 1):
            raise InvalidRequest("`session_filter.min_score` must be a number from 0 to 1.")
        if isinstance(self.max_sessions, bool) or not isinstance(self.max_sessions, int) \
                or not 1 <= self.max_sessions <= MAX_FILTER_SESSIONS:
            raise InvalidRequest(f"`session_filter.max_sessions` must be an integer from 1 to {MAX_FILTER_SESSIONS}.")

    def as_json(self) -> dict:
        result: dict = {}
        if self.agent_ids:
            result["agent_ids"] = sorted(set(self.agent_ids))
        for name in ("created_after", "created_before", "min_outcome"):
            if getattr(self, name) is not None:
                result[name] = getattr(self, name)
        if self.min_score is not None:
            result["min_score"] = float(self.min_score)
        result["max_sessions"] = self.max_sessions
        return result

    @classmethod
    def from_json(cls, value: dict) -> "SessionFilter":
        return cls(**{**value, "agent_ids": tuple(value.get("agent_ids") or ())})


def _instant(raw):
    try:
        return parse_datetime(raw) if isinstance(raw, str) else None
    except ValueError:  # well formed but impossible, such as month 13
        return None


def start_dream(
    *, principal: Principal, store_id: str, model_id: str, model_speed: str = "standard",
    session_ids: Sequence[str] | None = None, session_filter: SessionFilter | None = None,
    instructions: str | None = None, output_behavior: str = OutputBehavior.CREATE_NEW,
    budget_tokens: int | None = None, trigger: str = "api",
) -> Dream:
    """Record a dream `pending` and send it to a worker after commit.

    Exactly one of `session_ids` (1 to 100 sessions) and `session_filter` says what it reads.
    The API, the console, triggers and reruns all start dreams here."""
    principal.require_admin()
    if (session_ids is None) == (session_filter is None):
        raise InvalidRequest("Give either session ids or a session filter, not both and not neither.")
    if session_ids is not None:
        session_ids = _check_session_ids(session_ids)
    engine = engines.engine_for(model_id, workspace=principal.workspace)
    check_instructions(instructions)
    if output_behavior not in OutputBehavior.values:
        raise InvalidRequest("`output_behavior` must be `create_new` or `update_existing`.")
    if budget_tokens is not None and (not isinstance(budget_tokens, int) or isinstance(budget_tokens, bool)
                                      or not 1 <= budget_tokens <= MAX_BUDGET_TOKENS):
        raise InvalidRequest(f"`budget_tokens` must be an integer from 1 to {MAX_BUDGET_TOKENS}.")

    store = get_store(principal, store_id, write=output_behavior == OutputBehavior.UPDATE_EXISTING)
    if store.archived_at is not None:
        raise InvalidRequest(f"Memory store {store_id!r} is archived; a dream cannot read it.")
    if session_ids:
        _check_sessions_exist(principal, session_ids)

    try:
        with transaction.atomic():
            dream = Dream.objects.create(
                workspace=principal.workspace, input_store=store, session_ids=session_ids or [],
                session_filter=session_filter.as_json() if session_filter is not None else None,
                model_id=model_id, model_speed=model_speed, engine=engine, instructions=instructions,
                output_behavior=output_behavior, budget_tokens=budget_tokens, created_by=principal.actor.as_json(),
                trigger=trigger,
            )
            states.enqueue(dream.id)
    except IntegrityError:
        raise Conflict(
            f"Another update_existing dream on memory store {store_id!r} has not finished; "
            "cancel it or wait for it to end."
        ) from None
    return dream


def get_dream(*, principal: Principal, dream_id: str) -> Dream:
    principal.require_admin()
    dream = Dream.objects.filter(id=dream_id, workspace=principal.workspace).select_related("proposal").first()
    if dream is None:
        raise NotFound(f"Dream {dream_id!r} not found.")
    return dream


def rerun_dream(*, principal: Principal, dream: Dream) -> Dream:
    """A new dream with the same inputs: what an operator does after a conflict."""
    session_filter = SessionFilter.from_json(dream.session_filter) if dream.session_filter is not None else None
    return start_dream(
        principal=principal, store_id=dream.input_store_id, model_id=dream.model_id, model_speed=dream.model_speed,
        session_ids=dream.session_ids if session_filter is None else None, session_filter=session_filter,
        instructions=dream.instructions, output_behavior=dream.output_behavior, budget_tokens=dream.budget_tokens,
        trigger="rerun",
    )


def get_proposal(*, principal: Principal, dream_id: str) -> Proposal:
    dream = get_dream(principal=principal, dream_id=dream_id)
    proposal = Proposal.objects.filter(dream=dream).first()
    if proposal is None:
        raise NotFound(f"Dream {dream_id!r} has no proposal yet (it is {dream.status}).")
    return proposal


def cancel_dream(*, dream: Dream) -> Dream:
    """pending/running → canceled. Already canceled: unchanged. Completed or failed: 400."""
    return states.cancel(dream)


def archive_dream(*, dream: Dream) -> Dream:
    if dream.status not in TERMINAL_STATUSES:
        raise InvalidRequest(f"Dream {dream.id!r} is {dream.status}; only finished dreams can be archived.")
    Dream.objects.filter(pk=dream.pk, archived_at__isnull=True).update(archived_at=timezone.now())
    dream.refresh_from_db()
    return dream


def _check_session_ids(ids) -> list[str]:
    ids = list(ids)
    if not 1 <= len(ids) <= MAX_SESSION_IDS:
        raise InvalidRequest(f"`session_ids` must be a list of 1 to {MAX_SESSION_IDS} session ids.")
    if not all(isinstance(s, str) and s for s in ids):
        raise InvalidRequest("`session_ids` must hold session id strings.")
    if len(set(ids)) != len(ids):
        raise InvalidRequest("`session_ids` must not repeat a session.")
    return sorted(ids)


def check_instructions(instructions) -> None:
    if instructions is None:
        return
    if not isinstance(instructions, str) or not 1 <= len(instructions) <= MAX_INSTRUCTIONS:
        raise InvalidRequest(f"`instructions` must be a string of 1 to {MAX_INSTRUCTIONS} characters.")
    if "\x00" in instructions:
        raise InvalidRequest("`instructions` must not contain NUL characters.")


def check_runnable_model(model_id: str, *, workspace) -> str:
    """The engine that would run `model_id` in this workspace; InvalidRequest when none can."""
    return engines.engine_for(model_id, workspace=workspace)


def sessions_matching(*, workspace, session_filter: SessionFilter):
    """The sessions a filter selects, newest first, capped at max_sessions."""
    sessions = Session.objects.filter(workspace=workspace, archived_at__isnull=True).exclude(
        agent__name=DREAMER_AGENT
    )
    if session_filter.agent_ids:
        sessions = sessions.filter(agent_id__in=session_filter.agent_ids)
    if session_filter.created_after:
        sessions = sessions.filter(created_at__gte=parse_datetime(session_filter.created_after))
    if session_filter.created_before:
        sessions = sessions.filter(created_at__lte=parse_datetime(session_filter.created_before))
    if outcome := session_filter.min_outcome:
        wanted = [r for r, rank in OUTCOME_RANK.items() if rank >= OUTCOME_RANK[outcome]]
        sessions = sessions.filter(outcome_result__in=wanted)
    if session_filter.min_score is not None:
        sessions = sessions.filter(outcome_score__gte=session_filter.min_score)
    return sessions.order_by("-created_at", "-id")[: session_filter.max_sessions]


def _check_sessions_exist(principal: Principal, session_ids: list[str]) -> None:
    found = set(Session.objects.filter(workspace=principal.workspace, id__in=session_ids).values_list("id", flat=True))
    missing = [s for s in session_ids if s not in found]
    if missing:
        raise NotFound(f"Session {missing[0]!r} not found" + (f" (and {len(missing) - 1} more)." if len(missing) > 1 else "."))
