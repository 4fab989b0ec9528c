"""Stale facts: a remembered command, flag, path or endpoint that now fails while a close
replacement succeeds.

Within one session, a call that fails with an error saying the call itself is wrong
(unknown flag, not found, removed, HTTP 404/410/400...) and is followed, within a few
steps, by a successful call of the same program that differs in a short span of
arguments, is a *replacement*: the differing span of the failing call is the old token,
the span of the successful one the new token. Replacements seen in enough usable
sessions, whose old token has not worked since, update every fact line that mentions the
old token. Only the token is swapped: the rest of the line stays as it was.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterator
from urllib.parse import urlsplit

from dreams.engines import transcripts
from dreams.engines.findings import Fact, Finding, excerpt
from dreams.engines.transcripts import Step

MIN_SESSIONS = 2  # one session could be a typo or a flaky box; two independent ones are a trend
LOOKAHEAD = 5  # steps after a failure in which the replacement must succeed
MAX_SPAN = 3  # arguments that may differ: more is a different command, not a replacement
MAX_SUCCESSES = 20_000  # distinct successful commands remembered (bounded memory at scale)
MAX_EVIDENCE_SESSIONS = 20


@dataclass
class Replacement:
    program: str
    old: str
    new: str
    candidates: list[tuple[str, str]] = field(default_factory=list)  # (old, new) texts, most specific first
    sessions: dict[str, list[str]] = field(default_factory=dict)  # session id -> event ids
    kinds: Counter = field(default_factory=Counter)
    last_failure: str = ""
    agents: set[str] = field(default_factory=set)


class StaleAnalyzer(transcripts.UsableSessionSteps):
    kind = "stale"

    def __init__(self, facts: list[Fact], *, min_sessions: int = MIN_SESSIONS):
        self.facts = facts
        self.min_sessions = min_sessions
        self.replacements: dict[tuple[str, str, str], Replacement] = {}
        self.successes: dict[str, dict[str, str]] = defaultdict(dict)  # program -> command -> latest time
        self.success_count = 0
        self.session = None
        self.steps: list[Step] = []  # this session's steps only

    def end_session(self) -> None:
        if self.session is None:
            return
        steps = self.steps
        for step in steps:
            if step.ok:
                self._remember_success(step)
        for i, failed in enumerate(steps):
            if failed.ok or failed.error_kind not in transcripts.STALE_KINDS:
                continue
            for later in steps[i + 1 : i + 1 + LOOKAHEAD]:
                if later.program != failed.program or transcripts.is_lookup(later):
                    continue  # other programs, and `--help` lookups, are the agent finding the fix
                if not later.ok:
                    break  # another failure: it gets its own turn
                if later.command != failed.command and self._record(failed, later):
                    break
                # a success that is not a close variant (listing tables, checking status) is exploration
        self.steps = []

    def _remember_success(self, step: Step) -> None:
        known = self.successes[step.program]
        if step.command in known or self.success_count < MAX_SUCCESSES:
            if step.command not in known:
                self.success_count += 1
            known[step.command] = max(known.get(step.command, ""), step.at)

    def _record(self, failed: Step, fixed: Step) -> bool:
        spans = diff_spans(transcripts.words(failed.argv), transcripts.words(fixed.argv))
        if spans is None:
            return False
        old, new = spans
        key = (failed.program, old, new)
        rep = self.replacements.get(key)
        if rep is None:
            rep = self.replacements[key] = Replacement(program=failed.program, old=old, new=new,
                                                       candidates=text_candidates(old, new))
        full = (failed.command, fixed.command)
        if full not in rep.candidates and len(rep.candidates) < 12:
            rep.candidates.insert(0, full)
        rep.sessions.setdefault(self.session.id, []).extend(
            [failed.use_event_id, failed.result_event_id, fixed.use_event_id, fixed.result_event_id])
        rep.kinds[failed.error_kind] += 1
        rep.last_failure = max(rep.last_failure, failed.at)
        rep.agents.add(self.session.agent_name)
        return True

    def findings(self) -> Iterator[Finding]:
        # For each old token, the replacement seen in most sessions (ties: alphabetical, for determinism).
        best: dict[tuple[str, str], Replacement] = {}
        for key in sorted(self.replacements):
            rep = self.replacements[key]
            current = best.get((rep.program, rep.old))
            if current is None or len(rep.sessions) > len(current.sessions):
                best[(rep.program, rep.old)] = rep
        edited: set[tuple[str, int]] = set()
        for _, rep in sorted(best.items()):
            if len(rep.sessions) < self.min_sessions or self._still_works(rep):
                continue
            if not (transcripts.quotable(rep.old) and (rep.new == "" or transcripts.quotable(rep.new))):
                continue
            for fact in self.facts:
                where = (fact.memory.memory_id, fact.line_no)
                if where in edited:
                    continue
                line = fact.memory.content.split("\n")[fact.line_no]
                updated = self._rewrite(line, rep)
                if updated is None:
                    continue
                edited.add(where)
                yield self._finding(fact, line, updated, rep)

    def _still_works(self, rep: Replacement) -> bool:
        """The old token succeeded after it last failed: the failures were not about the token."""
        return any(at > rep.last_failure and transcripts.contains_span(command, rep.old)
                   for command, at in self.successes.get(rep.program, {}).items())

    def _rewrite(self, line: str, rep: Replacement) -> str | None:
        mentions_program = transcripts.contains_span(line, rep.program)
        for old, new in rep.candidates:
            if not (mentions_program or distinctive(old)):
                continue
            at = transcripts.find_span(line, old)
            if at < 0:
                continue
            if new:
                return line[:at] + new + line[at + len(old):]
            # The fix was to drop the token: drop it with the space before it.
            before, after = line[:at], line[at + len(old):]
            return (before[:-1] if before.endswith(" ") else before) + after
        return None

    def _finding(self, fact: Fact, line: str, updated: str, rep: Replacement) -> Finding:
        sessions = sorted(rep.sessions.items())
        kind = rep.kinds.most_common(1)[0][0]
        new = f"`{rep.new}`" if rep.new else "dropping it"
        count = len(sessions)
        rationale = (f"`{rep.old}` fails in {count} session{'s' if count > 1 else ''} ({kind}); "
                     f"{new} succeeds in {count}: updated {fact.memory.path} line {fact.line_no + 1}.")
        evidence = [{"type": "memory", "memory_id": fact.memory.memory_id, "path": fact.memory.path,
                     "version_id": fact.memory.version_id, "line": fact.line_no + 1, "excerpt": excerpt(fact.text)}]
        evidence += [{"type": "session", "session_id": s, "event_ids": ids} for s, ids in
                     sessions[:MAX_EVIDENCE_SESSIONS]]
        return Finding(kind=self.kind, rationale=rationale, evidence=evidence, memory=fact.memory,
                       summary=f"`{rep.old}` → {new} (fails in {count} sessions, {kind})",
                       lines={fact.line_no: updated})


def diff_spans(old: tuple[str, ...], new: tuple[str, ...]) -> tuple[str, str] | None:
    """The differing middle of two argument lists, if they share a head and differ a little."""
    prefix = 0
    while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while (suffix < min(len(old), len(new)) - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]):
        suffix += 1
    old_span, new_span = old[prefix : len(old) - suffix], new[prefix : len(new) - suffix]
    if prefix == 0 or not old_span or len(old_span) > MAX_SPAN or len(new_span) > MAX_SPAN:
        return None
    return " ".join(old_span), " ".join(new_span)


def text_candidates(old: str, new: str) -> list[tuple[str, str]]:
    """Ways the old token may be written in a fact, most specific first: the span itself, a URL's
    path, and the changed identifier inside a longer word (`orders_v1;` → `orders_v1`)."""
    candidates = [(old, new)]
    if " " not in old and " " not in new:
        if old.startswith(("http://", "https://")) and new.startswith(("http://", "https://")):
            old_path, new_path = urlsplit(old).path, urlsplit(new).path
            if old_path and new_path and old_path != new_path:
                candidates.append((old_path, new_path))
        inner = _inner_change(old, new)
        if inner is not None and inner not in candidates:
            candidates.append(inner)
    return candidates


def _inner_change(old: str, new: str) -> tuple[str, str] | None:
    prefix = 0
    while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
        prefix += 1
    while prefix and (old[prefix - 1].isalnum() or old[prefix - 1] == "_"):
        prefix -= 1  # back off to a word boundary: replace whole identifiers, not their tails
    suffix = 0
    while suffix < min(len(old), len(new)) - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    while suffix and (old[len(old) - suffix].isalnum() or old[len(old) - suffix] == "_"):
        suffix -= 1
    inner_old, inner_new = old[prefix : len(old) - suffix], new[prefix : len(new) - suffix]
    if (inner_old, inner_new) == (old, new) or not distinctive(inner_old):
        return None
    return inner_old, inner_new


def distinctive(text: str) -> bool:
    """Specific enough to replace in a line that does not name the program."""
    return len(text) >= 4 and any(ch.isdigit() or ch in "-_/.:=" for ch in text)
