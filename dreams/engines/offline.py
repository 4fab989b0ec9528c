"""reverie-offline: the built-in engine. Deterministic, no network.

One streaming pass:
1. read the base store as facts (one per non-heading line);
2. read the sessions once, in the order given, each transcript streamed event by event:
   every event goes to every analyzer (`observe`), with the tool call/result pair it
   completes, if any; an analyzer keeps aggregates, at most one session's steps;
3. ask each analyzer for its findings (dedup, stale, verify, pattern);
4. compose the findings into at most one change per existing memory, plus creates.

Analyzer interface (duck-typed; see dedup.py, stale.py, verify.py, patterns.py, harness.py):
    kind: str
    __init__(facts)                       facts of the base store
    start_session(session: SessionRecord)
    observe(event: Event, texts: list[str], step: Step | None)
    end_session()
    findings() -> Iterator[Finding]

Transcripts are untrusted: analyzers see them as structured steps, and everything they
write is built from commands, flags, paths, counts, dates and ids (see transcripts.py).
"""

from typing import Iterable, Iterator

from dreams.engines import findings as composing
from dreams.engines import transcripts
from dreams.engines.base import BaseMemory, Change, Context, SessionRecord
from dreams.engines.dedup import DedupAnalyzer
from dreams.engines.findings import Fact, split_facts
from dreams.engines.harness import HarnessAnalyzer
from dreams.engines.patterns import PatternAnalyzer
from dreams.engines.stale import StaleAnalyzer
from dreams.engines.verify import VerifyAnalyzer

NAME = "reverie-offline"
PROGRESS_EVERY_EVENTS = 2_000  # a long transcript still reports progress and notices a cancel

__all__ = ["NAME", "OfflineEngine", "Fact", "split_facts"]


class OfflineEngine:
    name = NAME
    analyzers = (DedupAnalyzer, StaleAnalyzer, VerifyAnalyzer, PatternAnalyzer, HarnessAnalyzer)

    def run(self, *, base: list[BaseMemory], sessions: Iterable[SessionRecord], instructions: str | None,
            context: Context) -> Iterator[Change]:
        facts: list[Fact] = []
        # Path order: the result never depends on the order the snapshot came in.
        for memory in sorted(base, key=lambda m: (m.path, m.memory_id)):
            context.charge(read=memory.content)
            facts.extend(split_facts(memory))
        context.progress(step="reading memories", memories=len(base), facts=len(facts))

        analyzers = [cls(facts) for cls in self.analyzers]
        tracker = transcripts.StepTracker()
        events_read = 0
        sessions_read = 0
        for session in sessions:
            sessions_read += 1
            context.progress(step="reading sessions", session_id=session.id, sessions_read=sessions_read)
            tracker.reset()
            for analyzer in analyzers:
                analyzer.start_session(session)
            for event in session.events():
                texts = transcripts.event_texts(event.payload)
                context.charge(read="".join(texts))
                step = tracker.feed(event)
                for analyzer in analyzers:
                    analyzer.observe(event, texts, step)
                events_read += 1
                if events_read % PROGRESS_EVERY_EVENTS == 0:
                    context.progress(step="reading sessions", session_id=session.id, events_read=events_read)
            for analyzer in analyzers:
                analyzer.end_session()

        found = []
        for analyzer in analyzers:
            found.extend(analyzer.findings())
        context.progress(step="composing changes", findings=len(found), sessions_read=sessions_read,
                         events_read=events_read)
        for change in composing.compose(found):
            context.charge(written=change.content or "")
            yield change
