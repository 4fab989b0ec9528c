"""What a model engine may read of a dream's sessions, and its digest cache: database-backed
objects the runner hands to the engine through its Context (engines never query themselves).

Only the dream's own sessions are reachable; evidence is checked against them.
"""

import hashlib
from dataclasses import dataclass

from dreams.engines.base import Event
from dreams.models import Session as SessionRow
from dreams.models import SessionDigest, SessionEvent

MAX_EVIDENCE_EVENTS = 20


@dataclass(frozen=True)
class SessionInfo:
    id: str
    agent_name: str
    title: str | None
    outcome_result: str | None
    event_count: int


@dataclass(frozen=True)
class Hit:
    session_id: str
    event: Event


class DreamSessions:
    def __init__(self, *, workspace, session_ids: list[str]):
        self.workspace = workspace
        self.ids = set(session_ids)
        self._catalog: list[SessionInfo] | None = None

    def has(self, session_id: str) -> bool:
        return session_id in self.ids

    def catalog(self) -> list[SessionInfo]:
        if self._catalog is None:
            rows = (SessionRow.objects.filter(workspace=self.workspace, id__in=self.ids).select_related("agent")
                    .order_by("created_at", "id"))
            self._catalog = [SessionInfo(r.id, r.agent.name, r.title, r.outcome_result, r.event_count) for r in rows]
        return self._catalog

    def page(self, session_id: str, *, after_event_id: str | None, limit: int) -> tuple[list[Event], bool]:
        """Up to `limit` events after `after_event_id`, and whether more follow."""
        events = SessionEvent.objects.filter(session_id=session_id, session__workspace=self.workspace)
        if after_event_id:
            seq = events.filter(id=after_event_id).values_list("seq", flat=True).first()
            if seq is None:
                return [], False
            events = events.filter(seq__gt=seq)
        rows = list(events.order_by("seq").values_list("id", "type", "payload")[: limit + 1])
        return [Event(id=i, type=t, payload=p) for i, t, p in rows[:limit]], len(rows) > limit

    def search(self, query: str, *, session_id: str | None, limit: int) -> list[Hit]:
        # JSONField icontains compares the payload's JSON text, on SQLite and PostgreSQL alike.
        ids = [session_id] if session_id else sorted(self.ids)
        rows = (SessionEvent.objects.filter(session_id__in=ids, session__workspace=self.workspace,
                                            payload__icontains=query)
                .order_by("session_id", "seq").values_list("session_id", "id", "type", "payload")[:limit])
        return [Hit(s, Event(id=i, type=t, payload=p)) for s, i, t, p in rows]

    def valid_evidence(self, evidence: list[dict]) -> list[dict]:
        """Evidence naming this dream's sessions and their real events; invented ids are dropped."""
        return self.valid_evidence_of([evidence])[0]

    def valid_evidence_of(self, evidences: list[list[dict]]) -> list[list[dict]]:
        """valid_evidence for many changes at once, with one query for all of them."""
        wanted = [self._wanted(evidence) for evidence in evidences]
        sessions = {s for w in wanted for s in w}
        asked = {i for w in wanted for ids in w.values() for i in ids}
        real = set(SessionEvent.objects.filter(session_id__in=sessions, id__in=asked)
                   .values_list("session_id", "id")) if asked else set()
        results = []
        for w in wanted:
            result = []
            for session_id, ids in sorted(w.items()):
                kept = [i for i in ids if (session_id, i) in real][:MAX_EVIDENCE_EVENTS]
                if kept:
                    result.append({"type": "session", "session_id": session_id, "event_ids": kept})
            results.append(result)
        return results

    def _wanted(self, evidence: list[dict]) -> dict[str, list[str]]:
        wanted: dict[str, list[str]] = {}
        for item in evidence:
            session_id = item.get("session_id")
            if self.has(session_id):
                ids = wanted.setdefault(session_id, [])
                ids += [i for i in item.get("event_ids") or [] if isinstance(i, str) and i not in ids]
        return wanted


class DigestCache:
    """Digests by the engine's key, per workspace: two workspaces holding the same transcript never
    share (or overwrite) a digest."""

    def __init__(self, workspace):
        self.workspace = workspace

    def _key(self, key: str) -> str:
        return hashlib.sha256(f"{self.workspace.pk}:{key}".encode()).hexdigest()

    def get(self, key: str) -> dict | None:
        return (SessionDigest.objects.filter(key=self._key(key), workspace=self.workspace)
                .values_list("digest", flat=True).first())

    def put(self, key: str, *, session_id: str, model_id: str, digest: dict) -> None:
        SessionDigest.objects.update_or_create(
            key=self._key(key), defaults={"workspace": self.workspace, "session_id": session_id, "model_id": model_id,
                               "digest": digest})
