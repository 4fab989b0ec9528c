"""Near-duplicate facts: keep one copy, drop the others.

The canonical copy stays in the memory that holds the most facts (a shared
document rather than a scratch note), ties going to the shorter path. Session
events that state a duplicated fact are evidence that the copies are one fact;
they are only cited, never copied.
"""

from collections import defaultdict
from typing import Iterator

from dreams.engines import similarity
from dreams.engines.findings import Fact, Finding, excerpt
from dreams.engines.transcripts import Step

MAX_EVIDENCE_EVENTS = 10


class DedupAnalyzer:
    kind = "dedup"

    def __init__(self, facts: list[Fact]):
        self.facts = facts
        self.token_sets = [similarity.tokens(f.text) for f in facts]
        self.groups = similarity.clusters(self.token_sets, heads=[similarity.head(f.text) for f in facts])
        # Only facts in a duplicate group are searched for in sessions.
        self.index = similarity.LshIndex()
        self.group_of: dict[int, int] = {}
        for g, members in enumerate(self.groups):
            for i in members:
                self.group_of[i] = g
                self.index.add(i, similarity.signature(self.token_sets[i]))
        self.mentions: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        self.session_id = ""

    def start_session(self, session) -> None:
        self.session_id = session.id

    def observe(self, event, texts: list[str], step: Step | None) -> None:
        if not self.groups:
            return
        for chunk in texts:
            for sentence in _sentences(chunk):
                sentence_tokens = similarity.tokens(sentence)
                for i in self.index.candidates(similarity.signature(sentence_tokens)):
                    if similarity.same_fact(sentence_tokens, self.token_sets[i]):
                        events = self.mentions[self.group_of[i]][self.session_id]
                        if event.id not in events and len(events) < MAX_EVIDENCE_EVENTS:
                            events.append(event.id)

    def end_session(self) -> None:
        pass

    def findings(self) -> Iterator[Finding]:
        facts = self.facts
        fact_count: dict[str, int] = defaultdict(int)
        for fact in facts:
            fact_count[fact.memory.memory_id] += 1
        drop: dict[str, set[int]] = defaultdict(set)  # memory_id -> line numbers to remove
        reasons: dict[str, list[tuple[Fact, list[Fact], int]]] = defaultdict(list)
        for g, members in enumerate(self.groups):
            copies = [facts[i] for i in members]
            keep = min(copies, key=lambda f: (-fact_count[f.memory.memory_id], f.memory.path, f.line_no))
            for fact in copies:
                if fact is not keep:
                    drop[fact.memory.memory_id].add(fact.line_no)
                    reasons[fact.memory.memory_id].append((keep, copies, g))

        by_id = {f.memory.memory_id: f.memory for f in facts}
        for memory_id in sorted(drop, key=lambda m: (by_id[m].path, m)):
            memory = by_id[memory_id]
            keep, copies, g = reasons[memory_id][0]
            evidence = [
                {"type": "memory", "memory_id": c.memory.memory_id, "path": c.memory.path,
                 "version_id": c.memory.version_id, "line": c.line_no + 1, "excerpt": excerpt(c.text)}
                for c in copies
            ]
            evidence += [{"type": "session", "session_id": s, "event_ids": []}
                         for c in copies for s in c.memory.written_by_sessions]
            evidence += [{"type": "session", "session_id": s, "event_ids": e}
                         for s, e in sorted(self.mentions.get(g, {}).items())]
            extra = len(reasons[memory_id]) - 1
            also = f" (and {extra} more duplicate{'s' if extra > 1 else ''})" if extra else ""
            remaining = fact_count[memory_id] - len(drop[memory_id])
            if remaining == 0:
                rationale = (f"Holds only a copy of “{excerpt(keep.text)}”{also}, one of {len(copies)} copies; "
                             f"the fact is kept in {keep.memory.path}.")
            else:
                rationale = (f"Merged “{excerpt(keep.text)}”{also} into {keep.memory.path}: "
                             f"one of {len(copies)} copies of the same fact.")
            summary = f"removed {len(drop[memory_id])} duplicate line(s) kept in {keep.memory.path}"
            yield Finding(kind=self.kind, rationale=rationale, summary=summary, evidence=evidence, memory=memory,
                          lines={n: None for n in sorted(drop[memory_id])})


def _sentences(text: str) -> Iterator[str]:
    for line in text.split("\n"):
        for part in line.replace("; ", ".\n").split(". "):
            if part.strip():
                yield part.strip()
