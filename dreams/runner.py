"""Running one dream: claim it, snapshot the store, feed the engine, record the proposal.

Called by the Celery task with only the dream id. The claim is a conditional
UPDATE (pending → running), so a redelivered task does nothing. Every change the
engine yields is saved at once, so a dream stopped by its budget keeps what it
proposed. The dream writes as a session_actor with its own session id, and its
session's events say what it read and wrote.
"""

import logging
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dreams import engines, guards, lifecycle, review, states
from dreams import sessions as session_domain
from dreams.engines import transcripts
from dreams.engines.base import BaseMemory, Canceled, Change, Context, EngineFailure, Event, SessionRecord
from dreams.models import (
    ChangeOperation,
    Dream,
    DreamStatus,
    OutputBehavior,
    Proposal,
    ProposedChange,
    Session,
    SessionEvent,
)
from dreams.sources import DigestCache, DreamSessions
from memory import identity, stores
from memory import store as memory_store
from memory.access import Actor
from memory.blobs import put_blob, read_blob
from memory.models import Memory, MemoryVersion

log = logging.getLogger(__name__)


def run_dream(dream_id: str) -> str:
    try:
        states.claim(dream_id)
    except states.IllegalTransition:
        return "not pending"  # a redelivered task, or a dream canceled before it started
    dream = Dream.objects.select_related("input_store", "workspace").get(pk=dream_id)
    recorder = Recorder(dream)
    try:
        outcome = _run(dream, recorder)
    except Canceled:
        recorder.flush(force=True)
        return "canceled"
    except Exception as exc:  # the dream fails with a clear error instead of staying "running"
        log.exception("dream %s failed", dream_id)
        recorder.flush(force=True)
        _finish(dream_id, DreamStatus.FAILED,
                {"type": "internal_error", "message": f"{type(exc).__name__}: {exc}"[:1000]})
        return "failed"
    return outcome


def _finish(dream_id: str, status: str, error: dict | None) -> str:
    try:
        states.finish(dream_id, status=status, error=error)
    except states.IllegalTransition as exc:
        return exc.current or "gone"  # canceled or reaped meanwhile: that status stands
    return status


def _run(dream: Dream, recorder: "Recorder") -> str:
    session = _start_session(dream)
    recorder.session = session
    actor = Actor(session_id=session.id)
    if dream.instructions:
        recorder.event({"type": "user.message", "content": [{"type": "text", "text": dream.instructions}]})

    if dream.session_filter is not None:
        ids = sorted(lifecycle.sessions_matching(
            workspace=dream.workspace, session_filter=lifecycle.SessionFilter.from_json(dream.session_filter))
                     .values_list("id", flat=True))
        Dream.objects.filter(pk=dream.pk).update(session_ids=ids)
        dream.session_ids = ids

    base = snapshot(dream.input_store)
    recorder.progress(step="read memory store", memories=len(base))
    recorder.event({"type": "agent.message", "content": [{"type": "text", "text":
                    f"Read {len(base)} memories from {dream.input_store.name} ({dream.input_store.id})."}]})

    output_store = dream.input_store
    if dream.output_behavior == OutputBehavior.CREATE_NEW:
        output_store = _clone_store(dream, base, actor)
        Dream.objects.filter(pk=dream.pk).update(output_store=output_store)
        recorder.progress(step="copied memory store", output_store_id=output_store.id)

    proposal = Proposal.objects.create(dream=dream, store=dream.input_store)
    context = Context(budget_tokens=dream.budget_tokens, on_progress=recorder.progress,
                      is_canceled=recorder.is_canceled, model_id=dream.model_id, workspace=dream.workspace,
                      sessions=DreamSessions(workspace=dream.workspace, session_ids=dream.session_ids),
                      digests=DigestCache(dream.workspace), record=recorder.event)
    recorder.context = context
    engine = engines.load_engine(dream.engine or engines.engine_for(dream.model_id, workspace=dream.workspace))
    by_id = {m.memory_id: m for m in base}
    failure, canceled = None, False
    recorded: list[tuple[ProposedChange, Change]] = []
    try:
        for change in engine.run(base=base, sessions=_session_records(dream, recorder),
                                 instructions=dream.instructions, context=context):
            recorded.append((record_change(proposal, change, by_id), change))
            recorder.event(_tool_event(change, by_id))
            recorder.progress(step="proposing changes", changes=len(recorded))
    except EngineFailure as exc:  # the budget, or the model API: what was proposed stays
        failure = {"type": exc.error_type, "message": exc.message[:1000]}
    except Canceled:
        canceled = True  # what was proposed stays too, guarded, for review; nothing is applied
    recorder.progress(step="checking the proposal", changes=len(recorded))
    flagged = _guard(dream, recorded, by_id)
    recorder.progress(step="proposal recorded", changes=len(recorded), flagged=flagged)
    if canceled:
        raise Canceled()

    if dream.output_behavior == OutputBehavior.CREATE_NEW:
        _materialize(proposal, output_store, actor)
    elif failure is None and recorded:
        review.apply_in_place(proposal=proposal, actor=actor)
    recorder.flush(force=True)
    if recorder.is_canceled():
        raise Canceled()
    return _finish(dream.id, DreamStatus.FAILED if failure else DreamStatus.COMPLETED, failure)


def _guard(dream: Dream, recorded: list[tuple[ProposedChange, Change]], by_id: dict[str, BaseMemory]) -> int:
    """Run the guards over the whole proposal and store each change's warnings; how many were flagged."""
    if not recorded:
        return 0
    proposed = []
    for row, change in recorded:
        base = by_id.get(change.memory_id) if change.memory_id else None
        proposed.append(guards.Proposed(
            key=row.id, base_path=base.path if base else None, base=base.content if base else None,
            new=None if change.operation == ChangeOperation.DELETE else (
                change.content if change.content is not None else base.content),  # a rename may keep the text
            has_evidence=bool(row.evidence), retires=change.retires))
    found = guards.check(proposed, base_store={m.path: m.content for m in by_id.values()},
                         transcripts=_untrusted_texts(dream))
    flagged = [row for row, _ in recorded if found.get(row.id)]
    for row in flagged:
        row.warnings = found[row.id]
    ProposedChange.objects.bulk_update(flagged, ["warnings"], batch_size=500)  # one statement, not one a change
    return len(flagged)


def _untrusted_texts(dream: Dream):
    """(event id, type, text) of the dream's sessions' user messages and tool results, streamed."""
    events = (SessionEvent.objects.filter(session_id__in=dream.session_ids, type__in=guards.UNTRUSTED_EVENT_TYPES)
              .order_by("session_id", "seq").values_list("id", "type", "payload"))
    for event_id, event_type, payload in events.iterator(chunk_size=500):
        yield event_id, event_type, "\n".join(transcripts.event_texts(payload))


def snapshot(store) -> list[BaseMemory]:
    """Every memory of the store as one consistent read, with the sessions that wrote it."""
    writers: dict[str, set[str]] = {}
    for memory_id, session_id in (MemoryVersion.objects.filter(store=store, session_id__isnull=False)
                                  .values_list("memory_id", "session_id").distinct()):
        writers.setdefault(memory_id, set()).add(session_id)
    memories = Memory.objects.filter(store=store).select_related("blob").order_by("path")
    return [
        BaseMemory(memory_id=m.id, path=m.path, content=read_blob(m.blob), sha256=m.blob_id,
                   version_id=m.head_version_id, written_by_sessions=tuple(sorted(writers.get(m.id, ()))))
        for m in memories.iterator(chunk_size=500)
    ]


def record_change(proposal: Proposal, change: Change, base_by_id: dict[str, BaseMemory]) -> ProposedChange:
    base = base_by_id.get(change.memory_id) if change.memory_id else None
    if change.operation != ChangeOperation.CREATE and base is None:
        raise ValueError(f"engine proposed a {change.operation} of unknown memory {change.memory_id!r}")
    sha = put_blob(change.content)[0] if change.content is not None else None
    return ProposedChange.objects.create(
        proposal=proposal, operation=change.operation, category=change.category,
        rationale=change.rationale[:500], evidence=change.evidence,
        memory_id=base.memory_id if base else None, base_path=base.path if base else None,
        base_sha256=base.sha256 if base else None, base_version_id=base.version_id if base else None,
        path=None if change.operation == ChangeOperation.DELETE else (change.path or (base.path if base else None)),
        blob_id=sha,
    )


def _start_session(dream: Dream) -> Session:
    agent = identity.get_or_create_agent(workspace=dream.workspace, name=lifecycle.DREAMER_AGENT)
    session = session_domain.register_session(
        workspace=dream.workspace, agent=agent, title=f"Dream {dream.id}", metadata={"dream_id": dream.id},
        environment_id="reverie-dream",
    )
    Dream.objects.filter(pk=dream.pk).update(session_id=session.id)
    dream.session_id = session.id
    return session


def _clone_store(dream: Dream, base: list[BaseMemory], actor: Actor):
    """The create_new output: a copy of the input, written as the dream. Content is shared, not copied.
    It is made from the snapshot the engine reads, so the proposal is exactly the
    diff between the output store and the input as the dream found it."""
    source = dream.input_store
    with transaction.atomic():
        output = stores.create_store(
            workspace=dream.workspace, name=f"{source.name} (dream {dream.id[-8:]})"[:255],
            description=f"Output of dream {dream.id} over {source.id}.",
            metadata={"reverie_dream_id": dream.id, "reverie_source_store_id": source.id},
            default_agent_access=source.default_agent_access,
        )
        memory_store.fill_store(store=output, files=[(m.path, m.content) for m in base], actor=actor)
    return output


def _materialize(proposal: Proposal, output_store, actor: Actor) -> None:
    """Apply the proposal to the output store (a copy of the input, so no conflicts), except the
    changes the guards flagged: those reach a store only through a person's approval."""
    by_path = dict(Memory.objects.filter(store=output_store).values_list("path", "id"))
    with transaction.atomic():
        for change in proposal.changes.select_related("blob").order_by("seq"):
            if change.warnings:
                continue
            content = read_blob(change.blob) if change.blob_id else None
            if change.operation == ChangeOperation.CREATE:
                memory_store.create_memory(store=output_store, path=change.path, content=content, actor=actor)
            elif change.operation == ChangeOperation.DELETE:
                memory_store.delete_memory(store=output_store, memory_id=by_path[change.base_path], actor=actor)
            else:
                memory_store.update_memory(store=output_store, memory_id=by_path[change.base_path], actor=actor,
                                           content=content, path=change.path)


def _session_records(dream: Dream, recorder: "Recorder"):
    """Sessions for the engine, one at a time; each transcript is streamed from the database."""
    for session in (Session.objects.filter(workspace=dream.workspace, id__in=dream.session_ids)
                    .select_related("agent").order_by("created_at", "id").iterator(chunk_size=100)):
        recorder.event({"type": "agent.tool_use", "name": "read_session", "input": {"session_id": session.id}})

        def events(session_id=session.id):
            for event_id, event_type, payload in (SessionEvent.objects.filter(session_id=session_id)
                                                  .order_by("seq").values_list("id", "type", "payload")
                                                  .iterator(chunk_size=500)):
                yield Event(id=event_id, type=event_type, payload=payload)

        yield SessionRecord(id=session.id, agent_name=session.agent.name, title=session.title,
                            outcome_result=session.outcome_result, outcome_score=session.outcome_score,
                            events=events, created_at=session.created_at.isoformat())


def _tool_event(change: Change, by_id: dict[str, BaseMemory]) -> dict:
    """The write, in the memory tool's command shape, for the dream's transcript."""
    path = change.path or by_id[change.memory_id].path
    command = {"create": "create", "modify": "str_replace", "delete": "delete", "rename": "rename"}[change.operation]
    tool_input = {"command": command, "path": "/memories" + path, "category": change.category,
                  "rationale": change.rationale}
    if change.operation == "rename":
        tool_input = {"command": "rename", "old_path": "/memories" + by_id[change.memory_id].path,
                      "new_path": "/memories" + path, "category": change.category, "rationale": change.rationale}
    return {"type": "agent.tool_use", "name": "memory", "input": tool_input}


class Recorder:
    """Progress, usage, heartbeat and transcript events, written at most about once a second."""

    def __init__(self, dream: Dream):
        self.dream = dream
        self.session: Session | None = None
        self.context: Context | None = None
        self.state: dict = dict(dream.progress)
        self.pending_events: list[dict] = []
        self.last_flush = 0.0
        self.interval = settings.REVERIE_DREAM_PROGRESS_SECONDS

    def event(self, event: dict) -> None:
        self.pending_events.append(event)
        self.flush()

    def progress(self, state: dict | None = None, **fields) -> None:
        self.state.update(state or {})
        self.state.update(fields)
        self.flush()

    def is_canceled(self) -> bool:
        return states.is_canceled(self.dream.pk)

    def flush(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last_flush < self.interval:
            return
        self.last_flush = now
        usage = {}
        if self.context is not None:
            usage = {"input_tokens": self.context.input_tokens, "output_tokens": self.context.output_tokens,
                     "cache_creation_input_tokens": self.context.cache_creation_input_tokens,
                     "cache_read_input_tokens": self.context.cache_read_input_tokens}
        Dream.objects.filter(pk=self.dream.pk).update(progress=self.state, heartbeat_at=timezone.now(), **usage)
        if self.session is not None and self.pending_events:
            session_domain.append_events(session=self.session, events=self.pending_events)
            self.pending_events = []
