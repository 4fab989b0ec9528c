"""What an engine is given and what it gives back.

An engine reads a snapshot of the input store and a stream of sessions and
yields `Change`s, one at a time, so a dream stopped by its budget or by a
cancel keeps what it proposed so far. Engines never touch the database: the
runner feeds them and records what they yield.
"""

from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Protocol


@dataclass(frozen=True)
class BaseMemory:
    """One memory as the dream found it."""

    memory_id: str
    path: str
    content: str
    sha256: str
    version_id: str
    # Sessions whose writes produced this memory's versions (session_actor), if any.
    written_by_sessions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    payload: dict


@dataclass(frozen=True)
class SessionRecord:
    id: str
    agent_name: str
    title: str | None
    outcome_result: str | None
    outcome_score: float | None
    events: Callable[[], Iterable[Event]]  # streamed: called when the engine reads the transcript
    created_at: str | None = None  # RFC 3339, when the session started


@dataclass
class Change:
    operation: str  # create | modify | delete | rename
    category: str  # pattern | dedup | stale | verify | other
    rationale: str
    evidence: list[dict] = field(default_factory=list)
    memory_id: str | None = None  # the base memory, for modify/delete/rename
    path: str | None = None  # the resulting path (create/modify/rename)
    content: str | None = None  # the resulting content (create/modify/rename)
    # Base lines the finding behind this change retires on purpose (stale or duplicated facts):
    # the fact_removed guard does not flag them.
    retires: list[str] = field(default_factory=list)


class EngineFailure(Exception):
    """Why an engine stopped before it finished; the dream fails with this type and keeps what it proposed."""

    error_type = "engine_error"

    def __init__(self, message: str, *, error_type: str | None = None):
        super().__init__(message)
        self.message = message
        if error_type is not None:
            self.error_type = error_type


class BudgetExceeded(EngineFailure):
    error_type = "budget_exceeded"


class Canceled(Exception):
    pass


class Context:
    """What the engine may call back into: usage accounting, progress and cancellation.

    Model engines also get the dream's model id and workspace, its sessions as a source to
    page and search (`sessions`), a digest cache, and `record` for the dream's own transcript.
    """

    def __init__(self, *, budget_tokens: int | None, on_progress: Callable[[dict], None] | None = None,
                 is_canceled: Callable[[], bool] | None = None, model_id: str | None = None, workspace=None,
                 sessions=None, digests=None, record: Callable[[dict], None] | None = None):
        self.budget_tokens = budget_tokens
        self.input_tokens = 0
        self.output_tokens = 0
        self.cache_creation_input_tokens = 0
        self.cache_read_input_tokens = 0
        self._on_progress = on_progress
        self._is_canceled = is_canceled
        self.model_id = model_id
        self.workspace = workspace
        self.sessions = sessions
        self.digests = digests
        self.record = record or (lambda event: None)

    def add_usage(self, usage) -> None:
        """Add a model response's usage (the API's own counts)."""
        self.input_tokens += getattr(usage, "input_tokens", 0) or 0
        self.output_tokens += getattr(usage, "output_tokens", 0) or 0
        self.cache_creation_input_tokens += getattr(usage, "cache_creation_input_tokens", 0) or 0
        self.cache_read_input_tokens += getattr(usage, "cache_read_input_tokens", 0) or 0

    @property
    def tokens_used(self) -> int:
        """What counts against the budget: every input token (cached or not) and every output token."""
        return (self.input_tokens + self.output_tokens + self.cache_creation_input_tokens
                + self.cache_read_input_tokens)

    def is_canceled(self) -> bool:
        return self._is_canceled is not None and self._is_canceled()

    def charge(self, *, read: str = "", written: str = "") -> None:
        """Count tokens (about four characters each) and stop the dream past its budget."""
        self.input_tokens += (len(read) + 3) // 4
        self.output_tokens += (len(written) + 3) // 4
        if self.budget_tokens is not None and self.input_tokens + self.output_tokens > self.budget_tokens:
            raise BudgetExceeded(
                f"The dream used {self.input_tokens + self.output_tokens} tokens, "
                f"over its budget of {self.budget_tokens}."
            )

    def progress(self, **state) -> None:
        if self._is_canceled is not None and self._is_canceled():
            raise Canceled()
        if self._on_progress is not None:
            self._on_progress(state)


class Engine(Protocol):
    name: str

    def run(self, *, base: list[BaseMemory], sessions: Iterable[SessionRecord], instructions: str | None,
            context: Context) -> Iterator[Change]: ...
