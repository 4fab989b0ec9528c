"""Small fleets built in code for the engine tests: memories, and sessions of tool calls with
their results, in the Managed Agents event shapes. Ids and timestamps are derived from the
fleet name and the order of creation, so every run builds the same fleet."""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from hashlib import sha256
from pathlib import Path

from dreams.engines.base import BaseMemory, Context, Event, SessionRecord
from dreams.engines.offline import OfflineEngine

START = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


@dataclass(frozen=True)
class Call:
    tool: str
    input: dict
    output: str
    is_error: bool = False


def bash(command, output="ok", error=False):
    return Call("bash", {"command": command}, output, error)


def http(method, url, status, body=""):
    reason = {200: "OK", 201: "Created", 404: "Not Found", 429: "Too Many Requests", 503: "Service Unavailable"}
    return Call("http", {"method": method, "url": url}, f"HTTP/1.1 {status} {reason.get(status, '')}\n{body}".strip())


def sql(query, output="", error=False):
    return Call("sql", {"query": query}, output, error)


def wait(seconds):
    return Call("wait", {"seconds": seconds}, "")


@dataclass
class Fleet:
    name: str
    store: dict[str, str] = field(default_factory=dict)
    sessions: list[tuple[dict, list[dict]]] = field(default_factory=list)

    def memory(self, path: str, content: str) -> "Fleet":
        self.store[path] = content
        return self

    def session(self, agent: str, calls: list[Call], *, outcome: str | None = "satisfied", title: str = "Task",
                ask: str = "Please do the task.", say: str = "Done.", day: int | None = None) -> str:
        n = len(self.sessions)
        session_id = f"sesn_{self.name}_{n:03d}"
        at = START + timedelta(days=day if day is not None else n // 4, hours=n % 4)
        events, k = [], 0

        def event(kind, **payload):
            nonlocal k
            k += 1
            events.append({"type": kind, "id": f"sevt_{self.name}_{n:03d}_{k:02d}",
                           "processed_at": stamp(at + timedelta(minutes=k)), **payload})
            return events[-1]["id"]

        event("user.message", content=[{"type": "text", "text": ask}])
        for call in calls:
            use = event("agent.tool_use", name=call.tool, input=call.input)
            event("agent.tool_result", tool_use_id=use, is_error=call.is_error,
                  content=[{"type": "text", "text": call.output}])
        event("agent.message", content=[{"type": "text", "text": say}])
        if outcome is not None:
            event("span.outcome_evaluation_end", outcome_id=f"outc_{self.name}_{n:03d}", iteration=0, result=outcome,
                  explanation="graded")
        meta = {"type": "session", "id": session_id, "title": title, "status": "idle",
                "agent": {"type": "agent", "id": f"agent_{self.name}_{agent}", "name": agent, "version": 1},
                "environment_id": "env_test", "metadata": {"fleet": self.name},
                "created_at": stamp(at), "updated_at": stamp(at + timedelta(minutes=k)), "archived_at": None}
        self.sessions.append((meta, events))
        return session_id

    # --- as engine inputs ---

    def base(self) -> list[BaseMemory]:
        return [BaseMemory(memory_id=f"mem_{i:03d}", path=path, content=content,
                           sha256=sha256(content.encode()).hexdigest(), version_id=f"memver_{i:03d}")
                for i, (path, content) in enumerate(sorted(self.store.items()))]

    def records(self) -> list[SessionRecord]:
        records = []
        for meta, events in self.sessions:
            outcome = [e["result"] for e in events if e["type"] == "span.outcome_evaluation_end"]
            records.append(SessionRecord(
                id=meta["id"], agent_name=meta["agent"]["name"], title=meta["title"],
                outcome_result=outcome[-1] if outcome else None, outcome_score=None,
                events=lambda events=events: (Event(id=e["id"], type=e["type"], payload=e) for e in events)))
        return records

    def run(self, budget=None):
        return list(OfflineEngine().run(base=self.base(), sessions=self.records(), instructions=None,
                                        context=Context(budget_tokens=budget)))

    def write(self, directory: Path) -> Path:
        """As files the import commands read: store/<path> and sessions/<id>.json."""
        for path, content in self.store.items():
            target = directory / "store" / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
        (directory / "sessions").mkdir(parents=True, exist_ok=True)
        for meta, events in self.sessions:
            (directory / "sessions" / f"{meta['id']}.json").write_text(json.dumps({"session": meta, "events": events}))
        return directory


def by_path(changes):
    return {c.path or c.memory_id: c for c in changes}


def sessions_of(change, finding=None):
    return {e["session_id"] for e in change.evidence
            if e["type"] == "session" and (finding is None or e.get("finding") == finding)}


def test_it_builds_the_same_fleet_twice():
    def build():
        fleet = Fleet("twice").memory("/a.md", "- x\n")
        fleet.session("bot", [bash("ls /tmp")])
        return fleet

    assert build().sessions == build().sessions
    assert [e.id for e in build().records()[0].events()] == [f"sevt_twice_000_{k:02d}" for k in range(1, 6)]


def analyze(analyzer_cls, fleet: Fleet, **options):
    """One analyzer alone over a fleet, the way the engine feeds it; returns its findings."""
    from dreams.engines.findings import split_facts
    from dreams.engines.transcripts import StepTracker, event_texts

    analyzer = analyzer_cls([f for m in fleet.base() for f in split_facts(m)], **options)
    tracker = StepTracker()
    for record in fleet.records():
        tracker.reset()
        analyzer.start_session(record)
        for event in record.events():
            analyzer.observe(event, event_texts(event.payload), tracker.feed(event))
        analyzer.end_session()
    return list(analyzer.findings())
