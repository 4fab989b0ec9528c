"""Verification backfill: a remembered fact that sessions exercised successfully gets a note
"(verified on DATE by session ID)", naming the latest session that verified it.

A fact is checkable when it names a command (a code span) or a path/endpoint; its
ports, flags, hosts and an HTTP status it states must match too. A call verifies the
fact when every one of those anchors is in the call, the call succeeded, and the
session was graded satisfied: a failed or ungraded session proves nothing.
"""

import re
from collections import defaultdict
from typing import Iterator

from dreams.engines import transcripts
from dreams.engines.findings import Fact, Finding, excerpt
from dreams.engines.transcripts import Anchors, Step

NOTE = re.compile(r" ?\(verified (?:on (\d{4}-\d{2}-\d{2}) )?by session (sesn_\w+)\)(\s*)$")
STATED_STATUS = re.compile(r"\b(?:HTTP|status(?: code)?|returns?|responds? with|answers?)\s+([1-5]\d\d)\b",
                           re.IGNORECASE)
MAX_EVIDENCE_SESSIONS = 20
MAX_LOOKUP_WORDS = 12  # a call's first words looked up as hosts (`psql -h HOST -p PORT ...`)
_PLACEHOLDER = re.compile(r"[A-Z][A-Z0-9_]{2,}|<[^<>\s]+>|\{[^{}\s]+\}|\.\.\.|…")
_HOST_PORT = re.compile(r"([A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9]):(\d{2,5})")


class VerifyAnalyzer:
    kind = "verify"

    def __init__(self, facts: list[Fact]):
        self.targets: list[tuple[Fact, Anchors, int | None]] = []
        # Index by path and by the program a code span starts with, so a call is only compared
        # with the few facts that could match it (thousands of memories, many thousands of calls).
        self.by_path: dict[str, list[int]] = defaultdict(list)
        self.by_word: dict[str, list[int]] = defaultdict(list)
        self.by_host: dict[str, list[int]] = defaultdict(list)  # `host:port` spans, by host
        for fact in facts:
            anchors = transcripts.fact_anchors(NOTE.sub("", fact.text))
            if not (anchors.commands or anchors.paths):
                continue
            status = STATED_STATUS.search(fact.text)
            t = len(self.targets)
            self.targets.append((fact, anchors, int(status.group(1)) if status else None))
            for path in anchors.paths:
                self.by_path[path].append(t)
            for command in anchors.commands:
                first = command.split(" ", 1)[0]
                self.by_word[first].append(t)
                host = _host_port(first)
                if host is not None:
                    self.by_host[host[0]].append(t)
        self.verified: dict[int, dict[str, tuple[str, list[str], str]]] = defaultdict(dict)
        self.session = None

    def start_session(self, session) -> None:
        self.session = session if transcripts.satisfied(session) else None

    def observe(self, event, texts, step: Step | None) -> None:
        if self.session is None or step is None or not step.ok or not self.targets:
            return
        call = transcripts.call_anchors(step)
        candidates = {t for path in call.paths for t in self.by_path.get(path, ())}
        for word in set(step.argv[:3]) | {step.tool, step.program}:
            candidates.update(self.by_word.get(word, ()))
        if self.by_host:
            for word in step.argv[:MAX_LOOKUP_WORDS]:
                candidates.update(self.by_host.get(word, ()))
        for t in sorted(candidates):
            fact, anchors, status = self.targets[t]
            if _matches(step, call, anchors, status, fact.text):
                previous = self.verified[t].get(self.session.id)
                if previous is None or step.at >= previous[0]:
                    self.verified[t][self.session.id] = (step.at, [step.use_event_id, step.result_event_id],
                                                         self.session.agent_name)

    def end_session(self) -> None:
        pass

    def findings(self) -> Iterator[Finding]:
        for t in sorted(self.verified):
            fact, anchors, _ = self.targets[t]
            sessions = sorted(self.verified[t].items(), key=lambda item: (item[1][0], item[0]), reverse=True)
            latest_id, (at, _, _) = sessions[0]
            day = at[:10] if re.fullmatch(r"\d{4}-\d{2}-\d{2}", at[:10]) else None
            line = fact.memory.content.split("\n")[fact.line_no]
            existing = NOTE.search(line)
            if existing and (existing.group(2) == latest_id or (day and existing.group(1) and existing.group(1) >= day)):
                continue  # already carries this (or a later) verification
            body = NOTE.sub("", line) if existing else line
            ending = "\r" if body.endswith("\r") else ""
            note = f"(verified on {day} by session {latest_id})" if day else f"(verified by session {latest_id})"
            updated = f"{body.rstrip()} {note}{ending}"
            agents = {agent for _, (_, _, agent) in sessions}
            what = _describe(anchors)
            count = len(sessions)
            rationale = (f"{what} was exercised successfully in {count} satisfied session{'s' if count > 1 else ''} "
                         f"({len(agents)} agent{'s' if len(agents) > 1 else ''}); latest {latest_id}"
                         f"{f' on {day}' if day else ''}: noted as verified.")
            evidence = [{"type": "memory", "memory_id": fact.memory.memory_id, "path": fact.memory.path,
                         "version_id": fact.memory.version_id, "line": fact.line_no + 1,
                         "excerpt": excerpt(fact.text)}]
            evidence += [{"type": "session", "session_id": s, "event_ids": ids}
                         for s, (_, ids, _) in sessions[:MAX_EVIDENCE_SESSIONS]]
            yield Finding(kind=self.kind, rationale=rationale, evidence=evidence, memory=fact.memory,
                          summary=f"{what} verified by {latest_id}{f' on {day}' if day else ''}",
                          lines={fact.line_no: updated})


def _matches(step: Step, call: Anchors, anchors: Anchors, status: int | None, text: str = "") -> bool:
    if status is not None and step.status is not None and step.status != status:
        return False
    if not anchors.commands and not (anchors.ports or anchors.hosts or anchors.flags or status is not None):
        # A fact that only names a path says something *about* the path; any call touching it
        # (`du`, `ls`) does not check that. The call's program must be named in the fact too.
        if not (transcripts.contains_span(text, step.program) or transcripts.contains_span(text, step.tool)):
            return False
    in_command = [c for c in anchors.commands if span_in_call(c, step, call)]
    # A one-word value (a key id, a version) may be confirmed by the successful result instead,
    # as long as something else in the fact was exercised by the call itself.
    rest = [c for c in anchors.commands if c not in in_command]
    if rest and (not (in_command or anchors.paths) or
                 not all(" " not in c and transcripts.contains_span(step.output, c) for c in rest)):
        return False
    return (all(p in call.paths or transcripts.contains_span(step.command, p) for p in anchors.paths)
            and anchors.ports <= call.ports and anchors.flags <= call.flags
            and anchors.hosts <= call.hosts)


def _host_port(word: str) -> tuple[str, str] | None:
    match = _HOST_PORT.fullmatch(word)
    return (match.group(1), match.group(2)) if match else None


def span_in_call(span: str, step: Step, call: Anchors) -> bool:
    """A remembered command is in the call verbatim, or word by word: placeholders (`ARTIFACT`,
    `<file>`, `{id}`) stand for any value, a path may be the path of a URL in the call, and
    `host:port` may be given as separate arguments (`-h host -p port`)."""
    if transcripts.contains_span(step.command, span):
        return True
    words = span.split()
    concrete = 0
    for word in words:
        if _PLACEHOLDER.fullmatch(word):
            continue
        concrete += 1
        if transcripts.contains_span(step.command, word) or (word.startswith("/") and word.rstrip("/") in call.paths):
            continue
        host_port = _host_port(word)
        if host_port and all(transcripts.contains_span(step.command, part) for part in host_port):
            continue
        return False
    return concrete > 0


def _describe(anchors: Anchors) -> str:
    parts = [f"`{c}`" for c in sorted(anchors.commands)] + sorted(anchors.paths)
    if anchors.ports:
        parts.append("port " + ", ".join(sorted(anchors.ports)))
    return " on ".join([", ".join(parts[:-1]), parts[-1]]) if anchors.ports and len(parts) > 1 else ", ".join(parts)
