"""Pattern discovery: the same error, followed by the same recovery, across sessions and agents.

Within a usable session, a call that fails and later succeeds *as the same command*
(numbers aside) is a recovery; the calls made in between (at most three) are the
recovery action, and an empty action means a plain retry worked. A (command, error
signature, action) seen in at least MIN_SESSIONS sessions is a pattern, written as a
memory under /patterns/. Sessions that ran the action *before* the command and never
saw the error are counted too ("avoided the error"): they confirm the action.

What is written comes from structured observations only: the commands, the error's
class, counts, dates, session ids and agent names. The error's first line is quoted
only when it passes `transcripts.quotable(prose=True)` (short, one line, no
instruction-like wording); otherwise only its class is named.
"""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterator
from urllib.parse import urlsplit

from dreams.engines import transcripts
from dreams.engines.findings import Fact, Finding
from dreams.engines.transcripts import Step, command_key

MIN_SESSIONS = 3
MAX_ACTION = 3  # calls between the failure and the successful retry
MAX_PREEMPTIVE_KEYS = 50_000  # bounded memory at scale: only the "avoided" counts are affected
MAX_LISTED_SESSIONS = 12
MAX_EVIDENCE_SESSIONS = 50
DIRECTORY = "/patterns"
TITLE = "Recovery patterns"


@dataclass
class Pattern:
    command: str  # command key (numbers as N)
    signature: str
    action: tuple[str, ...]  # command keys
    sessions: dict[str, list[str]] = field(default_factory=dict)  # session id -> event ids
    agents: set[str] = field(default_factory=set)
    days: set[str] = field(default_factory=set)
    verbatim: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # key -> spellings
    error_lines: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    commands: set[str] = field(default_factory=set)  # exact command keys (a shape pattern has several)


class PatternAnalyzer(transcripts.UsableSessionSteps):
    kind = "pattern"

    def __init__(self, facts: list[Fact], *, min_sessions: int = MIN_SESSIONS):
        self.facts = facts
        self.min_sessions = min_sessions
        self.patterns: dict[tuple, Pattern] = {}
        # The same recovery of the same subcommand on different objects (`build web`, `build cli`):
        # keyed by the command's shape, written only when no exact command recurs on its own.
        self.shapes: dict[tuple, Pattern] = {}
        self.preemptive: dict[tuple, dict[str, list[str]]] = {}  # (command, action) -> session -> event ids
        self.session = None
        self.steps: list[Step] = []

    def end_session(self) -> None:
        if self.session is None:
            return
        keys = [command_key(s.command) for s in self.steps]
        last_failure: dict[str, int] = {}
        failed_before: set[str] = set()
        seen: set[tuple] = set()
        for j, step in enumerate(self.steps):
            key = keys[j]
            if not step.ok:
                last_failure[key] = j
                failed_before.add(key)
                continue
            i = last_failure.pop(key, None)
            if i is not None:
                between = [n for n in range(i + 1, j) if keys[n] != key]
                if len(between) <= MAX_ACTION:
                    self._record_recovery(self.steps[i], [self.steps[n] for n in between], step,
                                          tuple(keys[n] for n in between), seen)
            elif key not in failed_before:
                self._record_preemptive(j, keys)
        self.steps = []

    def _record_recovery(self, failed: Step, action: list[Step], fixed: Step, action_keys, seen) -> None:
        if failed.command != fixed.command:
            # The call that worked differs from the one that failed (numbers count here: `/v1/` is not
            # `/v2/`), so the action alone may not be what made the difference: no lesson.
            return
        signature = transcripts.error_signature(failed.error_line or "")
        pid = (command_key(failed.command), signature, action_keys)
        if pid in seen:
            return  # one recovery per session counts once
        seen.add(pid)
        pattern = self.patterns.get(pid)
        if pattern is None:
            pattern = self.patterns[pid] = Pattern(command=pid[0], signature=signature, action=action_keys)
        self._add(pattern, failed, action, fixed)
        shape = command_shape(failed.argv)
        if shape is not None:
            sid = (shape, signature, action_keys)
            generic = self.shapes.get(sid)
            if generic is None:
                generic = self.shapes[sid] = Pattern(command=shape, signature=signature, action=action_keys)
            self._add(generic, failed, action, fixed)

    def _add(self, pattern: Pattern, failed: Step, action: list[Step], fixed: Step) -> None:
        pattern.commands.add(command_key(failed.command))
        ids = [failed.use_event_id, failed.result_event_id]
        for s in (*action, fixed):
            ids += [s.use_event_id, s.result_event_id]
        pattern.sessions[self.session.id] = ids
        pattern.agents.add(self.session.agent_name)
        if fixed.day:
            pattern.days.add(fixed.day)
        for s in (failed, *action):
            pattern.verbatim[command_key(s.command)][s.command] += 1
        pattern.error_lines[failed.error_line or ""] += 1
        pattern.kinds[failed.error_kind or "error"] += 1

    def _record_preemptive(self, j: int, keys: list[str]) -> None:
        for size in range(1, MAX_ACTION + 1):
            if j - size < 0:
                break
            before = self.steps[j - size : j]
            if not all(s.ok for s in before) or keys[j] in keys[j - size : j]:
                break
            pid = (keys[j], tuple(keys[j - size : j]))
            if pid not in self.preemptive and len(self.preemptive) >= MAX_PREEMPTIVE_KEYS:
                continue
            ids = [e for s in (*before, self.steps[j]) for e in (s.use_event_id, s.result_event_id)]
            self.preemptive.setdefault(pid, {}).setdefault(self.session.id, ids)

    def findings(self) -> Iterator[Finding]:
        existing = {f.memory.path: f.memory for f in self.facts}
        ranked = sorted(self.patterns.values(), key=lambda p: (-len(p.sessions), p.command, p.signature, p.action))
        covered: set[tuple] = set()
        for pattern in ranked:
            if len(pattern.sessions) < self.min_sessions:
                continue
            finding = self._finding(pattern, existing)
            if finding is not None:
                covered.add((pattern.signature, pattern.action))
                yield finding
        shapes = sorted(self.shapes.values(), key=lambda p: (-len(p.sessions), p.command, p.signature, p.action))
        for pattern in shapes:
            if (len(pattern.sessions) < self.min_sessions or len(pattern.commands) < 2
                    or (pattern.signature, pattern.action) in covered):
                continue
            finding = self._finding(pattern, existing)
            if finding is not None:
                covered.add((pattern.signature, pattern.action))
                yield finding

    def _finding(self, pattern: Pattern, existing) -> Finding | None:
        if len(pattern.commands) > 1:  # a shape: the words every spelling shares
            command = _common_prefix([_spelling(pattern, key) for key in sorted(pattern.commands)])
        else:
            command = _spelling(pattern, pattern.command)
        if not command:
            return None
        action = [_spelling(pattern, key) for key in pattern.action]
        if not all(transcripts.quotable(c) for c in (command, *action)):
            return None  # never write a command that reads like an instruction
        if self._already_known(command, action):
            return None
        kind = pattern.kinds.most_common(1)[0][0]
        error_line = min(pattern.error_lines, key=lambda e: (-pattern.error_lines[e], e))
        error_line = re.sub(r"^(?:\s*(?:error|fatal)\s*:\s*)+", "", error_line, flags=re.IGNORECASE)
        quoted = f": “{error_line}”" if transcripts.quotable(error_line, prose=True) else ""
        sessions = sorted(pattern.sessions)
        count, agents = len(sessions), sorted(_safe_name(a) for a in pattern.agents)
        avoided = self.preemptive.get((pattern.command, pattern.action), {}) if pattern.action else {}
        avoided = {s: ids for s, ids in avoided.items() if s not in pattern.sessions}
        steps = ", then ".join(f"`{a}`" for a in action)
        recovery = f"run {steps}, then retry it" if action else "retry it as is"
        days = sorted(pattern.days)
        span = f", {days[0]} to {days[-1]}" if len(days) > 1 else (f", on {days[0]}" if days else "")
        line = (f"- When `{command}` fails ({kind}{quoted}): {recovery}. Recovered this way in {count} sessions "
                f"across {len(agents)} agent{'s' if len(agents) > 1 else ''} ({', '.join(agents)}){span}.")
        if avoided:
            line += f" Running {steps} first avoided the error in {len(avoided)} more session" \
                    f"{'s' if len(avoided) > 1 else ''}."
        listed = sorted(set(sessions) | set(avoided))
        more = len(listed) - MAX_LISTED_SESSIONS
        lines = [line, "  - Sessions: " + ", ".join(listed[:MAX_LISTED_SESSIONS]) + (f" (+{more} more)." if more > 0
                                                                                    else ".")]
        path = f"{DIRECTORY}/{_slug(command, kind, pattern.signature)}.md"
        rationale = (f"`{command}` failed ({kind}) in {count} sessions across {len(agents)} agents and recovered "
                     f"each time after {steps or 'a plain retry'}" + (f"; {steps} first avoided it in {len(avoided)} more"
                                                                       if avoided else "") + f": recorded in {path}.")
        evidence = [{"type": "session", "session_id": s, "event_ids": pattern.sessions[s]} for s in sessions]
        evidence += [{"type": "session", "session_id": s, "event_ids": avoided[s], "role": "avoided"}
                     for s in sorted(avoided)]
        summary = f"pattern `{command}` {kind} → {steps or 'retry'} ({count} sessions)"
        memory = existing.get(path)
        return Finding(kind=self.kind, rationale=rationale, summary=summary, evidence=evidence[:MAX_EVIDENCE_SESSIONS],
                       memory=memory, path=None if memory else path, title=None if memory else TITLE, append=lines)

    def _already_known(self, command: str, action: list[str]) -> bool:
        """A fact already names the command and every recovery step: nothing new to write."""
        words = command.split()[:2]
        for fact in self.facts:
            if all(transcripts.contains_span(fact.text, w) for w in words) and all(
                    transcripts.contains_span(fact.text, a) for a in action):
                return True
        return False


def command_shape(argv: tuple[str, ...]) -> str | None:
    """The command with its last argument (the object it acted on) as `*`, when that argument is
    a plain value: `relctl build web` and `relctl build cli` share the shape `relctl build *`."""
    if len(argv) < 3 or argv[-1].startswith("-"):
        return None
    return command_key(" ".join([*argv[:-1], "*"]))


def _common_prefix(commands: list[str]) -> str:
    split = [c.split() for c in commands]
    common = []
    for group in zip(*split):
        if len(set(group)) > 1:
            break
        common.append(group[0])
    return " ".join(common) if len(common) >= 2 else ""


def _spelling(pattern: Pattern, key: str) -> str:
    """The most common verbatim spelling of a command key (ties: alphabetical)."""
    spellings = pattern.verbatim.get(key) or Counter({key: 1})
    return min(spellings, key=lambda s: (-spellings[s], s))


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w.@-]", "_", name or "unknown")[:60]


def _slug(command: str, kind: str, signature: str) -> str:
    words = []
    for token in command.lower().split():
        if token.startswith("-"):
            continue  # flags vary; the program, subcommand and object name the pattern
        token = urlsplit(token).path if token.startswith(("http://", "https://")) else token
        words += re.findall(r"[a-z][a-z0-9]*", token)
    words = words[:3]
    if kind == "error":
        words += re.findall(r"[a-z]{3,}", signature)[:3]
    else:
        words += re.findall(r"[a-z0-9]+", kind)
    return "-".join(words)[:60].strip("-") or "recovery"
