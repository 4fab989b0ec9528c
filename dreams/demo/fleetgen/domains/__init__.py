"""What a fleet is made of, per domain: the store's facts, the planted findings and the session scripts.

A domain is data. Each `Task` is a session script: a user request, tool calls with their results,
the agent's reply and the graded outcome. Strings may hold `{placeholders}` that the generator
fills per session from the domain's `values` (so sessions differ in hosts, ids and numbers but
never in the finding they carry).
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Step:
    """One tool call and its result, optionally preceded by the agent's thinking."""

    command: str
    output: str
    is_error: bool = False
    thinking: str | None = None
    tool: str = "bash"


@dataclass(frozen=True)
class Task:
    title: str
    prompt: str
    steps: tuple[Step, ...]
    reply: str
    result: str = "satisfied"
    explanation: str = "Request handled."


@dataclass(frozen=True)
class Finding:
    """A planted finding: where it lives in the store and the sessions that carry it."""

    tasks: tuple[Task, ...]
    path: str = ""
    line: str = ""
    old: str = ""
    new: str = ""
    all_of: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()


@dataclass(frozen=True)
class Domain:
    name: str
    agents: tuple[str, ...]
    # Keep files: path → (heading, fact lines). The stale and verify lines are added to their files.
    files: dict[str, tuple[str, tuple[str, ...]]]
    dedup_all_of: tuple[str, ...]
    dedup_copies: tuple[str, ...]  # paraphrases of one fact, 5 of them; 3 to 5 are planted
    stale: Finding
    verify: Finding
    pattern: Finding
    poison: Finding
    failed: tuple[Task, ...]
    filler: tuple[Task, ...]
    probes: tuple[Step, ...]  # harmless read-only calls, to pad sessions to a length
    values: dict[str, tuple] = field(default_factory=dict)  # placeholder → choices
    # One filler memory: (index, pick) → (path, heading, fact lines); facts must be unique per index.
    extra_memory: Callable | None = None


def _load() -> dict[str, Domain]:
    from dreams.demo.fleetgen.domains import cli_tools, http_api, sql_jobs, sre

    return {d.name: d for d in (http_api.DOMAIN, sql_jobs.DOMAIN, cli_tools.DOMAIN, sre.DOMAIN)}


DOMAINS = _load()
