"""Harness lessons: an agent's own tools refusing a call, and users refusing one.

Real coding agents (Claude Code and the like) most often stumble on their harness, not on a
command: an edit refused because the file was not read first, a replacement whose text is not
in the file or not unique, a file that does not exist; and users rejecting a tool call. Two
findings come out of these, both under /patterns/:

- a recovery: a file tool fails with a known harness error on a file, then the same tool
  succeeds on the same file after other tools acted on that file in between (say, `Read`).
  What was run in between is the lesson, and only that: a success with nothing in between on
  that file tells nothing about what made the difference, so it writes no lesson.
- a refusal: users rejected calls of one tool in several sessions; a reason they gave more than
  once is quoted, when `transcripts.quotable` passes it (a reason given once is about one task).

- a check: a shell command that failed, then passed after the agent edited files in between
  (a linter, a formatter, a test run): the project's own check, and that fixing what it reports
  is what made it pass.

Harness errors are recognized by a fixed vocabulary (HARNESS_ERRORS) and named in our own words,
so nothing of a tool result's text is written as an instruction.

Thresholds fit the fleet: a lesson needs at least MIN_SESSIONS sessions and at least
MIN_SHARE of the usable sessions read (2 of 25 matters; 2 of 1,000 is noise). The counts go in
the rationale and the memory.
"""

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterator

from dreams.engines import transcripts
from dreams.engines.findings import Fact, Finding
from dreams.engines.transcripts import Step

MIN_SESSIONS = 2
MIN_SHARE = 0.02
LOOKAHEAD = 12  # steps after a failure within which the same call on the same file must succeed
MAX_LISTED_SESSIONS = 12
MAX_EVIDENCE_SESSIONS = 50
MAX_REFUSAL_EVENTS = 20  # per session: a user may refuse many calls in one session
MAX_REASONS = 3
DIRECTORY = "/patterns"
TITLE = "Tool errors and what fixed them"

# (class, what the tool result says, how the lesson says it)
HARNESS_ERRORS = (
    ("not-read", re.compile(r"has not been read yet|must read .{0,40}before (?:editing|writing)", re.I),
     "the file had not been read in the session yet"),
    ("not-unique", re.compile(r"found \d+ matches of the string to replace|multiple occurrences of old_str", re.I),
     "its `old_string` matched more than one place in the file"),
    ("not-found", re.compile(r"string to replace not found|did not appear verbatim", re.I),
     "its `old_string` did not match the file's text exactly"),
    ("modified", re.compile(r"(?:file|it) has been (?:unexpectedly )?modified since|modified since (?:it was )?read",
                            re.I),
     "the file had changed since it was read"),
    ("missing", re.compile(r"file does not exist|path does not exist|no such file or directory", re.I),
     "the file did not exist"),
)
REFUSAL = re.compile(r"doesn't want to proceed with this tool use|tool use was rejected|user (?:denied|rejected) "
                     r"(?:this|the) tool", re.I)
REASON = re.compile(r"the user said:\s*(.+)", re.I | re.S)


def harness_error(step: Step) -> str | None:
    if step.ok:
        return None
    for name, pattern, _ in HARNESS_ERRORS:
        if pattern.search(step.output or ""):
            return name
    return None


def is_refusal(step: Step) -> bool:
    return not step.ok and bool(REFUSAL.search(step.output or ""))


@dataclass
class Recovery:
    tool: str
    error: str
    action: tuple[str, ...]  # the tools run on the same file in between, in order, without repeats
    sessions: dict[str, list[str]] = field(default_factory=dict)  # session id -> event ids
    agents: set[str] = field(default_factory=set)
    days: set[str] = field(default_factory=set)


@dataclass
class Check:
    """A command that failed, then passed after files were edited: the project's own check."""

    command: str
    editors: set[str] = field(default_factory=set)  # the file tools that changed files in between
    sessions: dict[str, list[str]] = field(default_factory=dict)
    spellings: dict[str, int] = field(default_factory=lambda: defaultdict(int))


@dataclass
class Refusal:
    tool: str
    sessions: dict[str, list[str]] = field(default_factory=dict)
    agents: set[str] = field(default_factory=set)
    reasons: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class HarnessAnalyzer(transcripts.UsableSessionSteps):
    kind = "pattern"

    def __init__(self, facts: list[Fact], *, min_sessions: int = MIN_SESSIONS, min_share: float = MIN_SHARE):
        self.facts = facts
        self.min_sessions, self.min_share = min_sessions, min_share
        self.recoveries: dict[tuple, Recovery] = {}
        self.refusals: dict[str, Refusal] = {}
        self.checks: dict[str, Check] = {}
        self.sessions_read = 0
        self.session = None
        self.steps: list[Step] = []

    def start_session(self, session) -> None:
        super().start_session(session)
        if self.session is not None:
            self.sessions_read += 1

    def end_session(self) -> None:
        if self.session is None:
            return
        seen: set[tuple] = set()
        for i, step in enumerate(self.steps):
            if is_refusal(step):
                self._refused(step)
                continue
            error = harness_error(step)
            if error is None or not step.target:
                continue
            recovered = self._recovery(i)
            if recovered is None:
                continue
            between, fixed = recovered
            action = tuple(dict.fromkeys(s.tool for s in between))
            key = (step.tool, error, action)
            if key in seen:
                continue  # one recovery per session counts once
            seen.add(key)
            recovery = self.recoveries.setdefault(key, Recovery(tool=step.tool, error=error, action=action))
            recovery.sessions[self.session.id] = [e for s in (step, *between, fixed)
                                                  for e in (s.use_event_id, s.result_event_id)]
            recovery.agents.add(self.session.agent_name)
            if fixed.day:
                recovery.days.add(fixed.day)
        self._checks()
        self.steps = []

    def _checks(self) -> None:
        """A shell command that fails, then passes again after file edits and nothing else changed it."""
        failed_at: dict[str, int] = {}
        found: set[str] = set()
        for j, step in enumerate(self.steps):
            if not step.argv or step.target or step.program == step.tool:
                continue  # not a shell command
            key = check_key(step.command)
            if not key:
                continue
            if not step.ok:
                failed_at.setdefault(key, j)
                continue
            i = failed_at.pop(key, None)
            if i is None or key in found:
                continue
            edits = [s for s in self.steps[i + 1:j] if s.ok and s.target and s.tool in EDIT_TOOLS]
            if not edits:
                continue  # passed again with no file changed: a flaky check, not a lesson about fixing code
            found.add(key)
            check = self.checks.setdefault(key, Check(command=key))
            check.editors |= {s.tool for s in edits}
            check.spellings[key] += 1
            ids = [self.steps[i].use_event_id, self.steps[i].result_event_id]
            ids += [e for s in edits[:3] for e in (s.use_event_id, s.result_event_id)]
            check.sessions[self.session.id] = ids + [step.use_event_id, step.result_event_id]

    def _recovery(self, i: int) -> tuple[list[Step], Step] | None:
        """The steps on the same file between a failure and the same tool's success on it; None when
        the call never succeeded on that file, or nothing was done to the file in between."""
        failed = self.steps[i]
        between = []
        for step in self.steps[i + 1: i + 1 + LOOKAHEAD]:
            if step.target != failed.target:
                continue
            if step.tool == failed.tool:
                if step.ok:
                    return (between, step) if between else None
                continue  # failed again: keep looking for what unblocked it
            if step.ok:
                between.append(step)
        return None

    def _refused(self, step: Step) -> None:
        refusal = self.refusals.setdefault(step.tool, Refusal(tool=step.tool))
        refusal.sessions.setdefault(self.session.id, []).extend([step.use_event_id, step.result_event_id])
        refusal.agents.add(self.session.agent_name)
        match = REASON.search(step.output or "")
        if match:
            reason = " ".join(match.group(1).split())
            if transcripts.quotable(reason):
                refusal.reasons[reason] += 1

    def threshold(self) -> int:
        return max(self.min_sessions, math.ceil(self.min_share * self.sessions_read))

    def findings(self) -> Iterator[Finding]:
        existing = {f.memory.path: f.memory for f in self.facts}
        known = {" ".join(f.text.split()) for f in self.facts}
        need = self.threshold()
        for recovery in sorted(self.recoveries.values(), key=lambda r: (-len(r.sessions), r.tool, r.error, r.action)):
            if len(recovery.sessions) >= need and _safe_tool(recovery.tool) and all(map(_safe_tool, recovery.action)):
                finding = self._recovery_finding(recovery, existing, known, need)
                if finding is not None:
                    yield finding
        for check in sorted(self.checks.values(), key=lambda c: (-len(c.sessions), c.command)):
            if len(check.sessions) >= need and transcripts.quotable(check.command) and all(map(_safe_tool,
                                                                                                check.editors)):
                finding = self._check_finding(check, existing, known, need)
                if finding is not None:
                    yield finding
        for refusal in sorted(self.refusals.values(), key=lambda r: (-len(r.sessions), r.tool)):
            if len(refusal.sessions) >= need and _safe_tool(refusal.tool):
                finding = self._refusal_finding(refusal, existing, known, need)
                if finding is not None:
                    yield finding

    def _recovery_finding(self, recovery: Recovery, existing, known, need) -> Finding | None:
        said = next(text for name, _, text in HARNESS_ERRORS if name == recovery.error)
        count, agents = len(recovery.sessions), sorted(_safe_name(a) for a in recovery.agents)
        steps = ", then ".join(f"`{tool}`" for tool in recovery.action)
        days = sorted(recovery.days)
        span = f", {days[0]} to {days[-1]}" if len(days) > 1 else (f", on {days[0]}" if days else "")
        line = (f"- When `{recovery.tool}` fails because {said}: run {steps} on that file, then retry the "
                f"`{recovery.tool}`. Recovered this way in {count} of {self.sessions_read} sessions "
                f"({', '.join(agents)}){span}.")
        if line in known:
            return None
        path = f"{DIRECTORY}/{_slug(recovery.tool)}-{recovery.error}.md"
        rationale = (f"`{recovery.tool}` failed because {said} in {count} of {self.sessions_read} sessions "
                     f"(threshold {need}) and worked on the same file after {steps}: recorded in {path}.")
        return self._finding(path, line, recovery.sessions, rationale, existing,
                             summary=f"pattern `{recovery.tool}` {recovery.error} → {steps} ({count} sessions)")

    def _check_finding(self, check: Check, existing, known, need) -> Finding | None:
        count = len(check.sessions)
        editors = ", ".join(f"`{tool}`" for tool in sorted(check.editors))
        line = (f"- `{check.command}` failed, then passed after files were edited ({editors}), in {count} of "
                f"{self.sessions_read} sessions: it checks the code; fix what it reports and run it again.")
        if line in known or any(transcripts.contains_span(f.text, check.command) for f in self.facts):
            return None  # the store already knows this check
        path = f"{DIRECTORY}/{_slug(check.command)}.md"
        rationale = (f"`{check.command}` failed and passed after file edits in {count} of {self.sessions_read} "
                     f"sessions (threshold {need}): recorded in {path}.")
        return self._finding(path, line, check.sessions, rationale, existing,
                             summary=f"pattern `{check.command}` fails until the code is fixed ({count} sessions)")

    def _refusal_finding(self, refusal: Refusal, existing, known, need) -> Finding | None:
        count = len(refusal.sessions)
        # A reason given once is about that one task; one users gave again is worth keeping.
        reasons = sorted((r for r, n in refusal.reasons.items() if n >= 2), key=lambda r: (-refusal.reasons[r], r))
        reasons = reasons[:MAX_REASONS]
        said = "; ".join(f"“{r}”" for r in reasons)
        line = (f"- Users rejected `{refusal.tool}` calls in {count} of {self.sessions_read} sessions; what they "
                f"rejected was not done." + (f" Reasons they gave: {said}." if said else ""))
        if line in known:
            return None
        path = f"{DIRECTORY}/{_slug(refusal.tool)}-rejected-by-users.md"
        rationale = (f"Users rejected `{refusal.tool}` calls in {count} of {self.sessions_read} sessions "
                     f"(threshold {need}): recorded in {path}.")
        return self._finding(path, line, refusal.sessions, rationale, existing,
                             summary=f"pattern `{refusal.tool}` rejected by users ({count} sessions)",
                             max_events=MAX_REFUSAL_EVENTS)

    def _finding(self, path, line, by_session: dict[str, list[str]], rationale, existing, *, summary,
                 max_events: int | None = None) -> Finding:
        """The lesson's line and the sessions behind it, listed in the memory and cited as evidence."""
        sessions = sorted(by_session)
        more = len(sessions) - MAX_LISTED_SESSIONS
        lines = [line, "  - Sessions: " + ", ".join(sessions[:MAX_LISTED_SESSIONS])
                 + (f" (+{more} more)." if more > 0 else ".")]
        evidence = [{"type": "session", "session_id": s, "event_ids": by_session[s][:max_events]}
                    for s in sessions]
        memory = existing.get(path)
        return Finding(kind=self.kind, rationale=rationale, summary=summary, evidence=evidence[:MAX_EVIDENCE_SESSIONS],
                       memory=memory, path=None if memory else path, title=None if memory else TITLE, append=lines)


EDIT_TOOLS = {"Edit", "MultiEdit", "Write", "NotebookEdit", "str_replace_based_edit_tool", "apply_patch",
              "edit_file", "write_file", "str_replace_editor"}
_REDIRECT = re.compile(r"\s*(?:\d?>&\d|\d?>>?\s*\S+)")


def check_key(command: str) -> str:
    """A shell command as a check: its first pipeline stage, redirections dropped (`mise run lint 2>&1 |
    tail -5` is `mise run lint`), numbers as N. Compound commands (`a && b`) stay whole."""
    first = command.split(" | ")[0]
    return transcripts.command_key(" ".join(_REDIRECT.sub("", first).split()))


def _safe_tool(name: str) -> bool:
    """Tool names are written into memory: only plain identifiers (`Edit`, `mcp__fs__read`)."""
    return bool(re.fullmatch(r"[A-Za-z][\w.-]{0,63}", name or ""))


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w.@-]", "_", name or "unknown")[:60]


def _slug(tool: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", tool.lower()))[:40] or "tool"
