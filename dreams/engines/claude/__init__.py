"""The Claude engine: Claude, through the official SDK, reads the sessions and edits a working
copy of the store; the proposal is the diff of that copy against the base.

Two stages, so fleets far larger than one context window dream: a digest of each session
(bounded concurrency, cached by the session's content hash), then a consolidation over the
digests and the store with the memory tool and the session tools. Changes carry the
category, rationale and evidence the model gave in annotate_change; evidence that does not
name the dream's own sessions and events is dropped (the runner's guards flag what is left
without any). A failure keeps what the working copy holds so far.
"""

import anthropic
from django.conf import settings

from dreams.engines.base import BaseMemory, Canceled, Change, Context, EngineFailure
from dreams.engines.claude.consolidate import Consolidation
from dreams.engines.claude.digest import DigestStage
from dreams.engines.claude.gate import ModelGate
from dreams.engines.claude.workcopy import WorkingCopy
from memory.errors import ReverieError

NAME = "claude"
UNANNOTATED = "Changed by the dreamer without an annotation."


def make_client(workspace) -> anthropic.Anthropic:
    from dreams import credentials

    try:
        options = credentials.client_options(workspace)
    except ReverieError as exc:  # a workspace key that cannot be decrypted any more
        raise EngineFailure(exc.message, error_type="model_authentication_error") from None
    if options is None:
        raise EngineFailure("No model key is configured: set ANTHROPIC_API_KEY for the web and worker processes, "
                            "or a workspace key in the console.", error_type="model_authentication_error")
    return anthropic.Anthropic(**options, max_retries=settings.REVERIE_CLAUDE_MAX_RETRIES,
                               timeout=settings.REVERIE_CLAUDE_TIMEOUT_SECONDS)


def digest_max_tokens() -> int:
    return min(settings.REVERIE_CLAUDE_DIGEST_MAX_TOKENS, settings.REVERIE_CLAUDE_CONTEXT_TOKENS // 6)


def digest_chunk_tokens() -> int:
    """A transcript part's share of a digest request: the setting, or less when the context is small
    (the rest of the request is the prompt, the store index and the reply)."""
    room = settings.REVERIE_CLAUDE_CONTEXT_TOKENS - digest_max_tokens() - 6_000
    return max(1_000, min(settings.REVERIE_CLAUDE_DIGEST_CHUNK_TOKENS, room))


class ClaudeEngine:
    name = NAME

    def run(self, *, base: list[BaseMemory], sessions, instructions: str | None, context: Context):
        workcopy = WorkingCopy(base, max_bytes=settings.REVERIE_MAX_MEMORY_BYTES,
                               max_memories=settings.REVERIE_MAX_MEMORIES_PER_STORE)
        gate = ModelGate(client=make_client(context.workspace), context=context,
                         concurrency=settings.REVERIE_CLAUDE_CONCURRENCY, tick=lambda: context.progress())
        consolidation = Consolidation(
            gate=gate, context=context, model_id=context.model_id, instructions=instructions, workcopy=workcopy,
            sessions=context.sessions, context_tokens=settings.REVERIE_CLAUDE_CONTEXT_TOKENS,
            # A small context (a local model server's) leaves room for the prompt too.
            max_tokens=min(settings.REVERIE_CLAUDE_MAX_OUTPUT_TOKENS, settings.REVERIE_CLAUDE_CONTEXT_TOKENS // 4),
            max_turns=settings.REVERIE_CLAUDE_MAX_TURNS,
            store_inline_tokens=settings.REVERIE_CLAUDE_STORE_INLINE_TOKENS,
        )
        failure = None
        try:
            digests = DigestStage(
                gate=gate, context=context, model_id=context.model_id, instructions=instructions,
                store_index=workcopy.index(max_chars=8_000),
                chunk_tokens=digest_chunk_tokens(),
                max_tokens=digest_max_tokens(),
                concurrency=settings.REVERIE_CLAUDE_CONCURRENCY, budget_share=0.7,
            )
            found = sorted(digests.run(sessions), key=lambda d: d["session_id"])
            context.progress(step="digested sessions", digests=len(found), digests_cached=digests.cached,
                             digests_made=digests.made, sessions_skipped_for_budget=digests.skipped)
            consolidation.run(found)
        except (EngineFailure, Canceled) as exc:
            # The model failed, the budget ran out or an operator canceled: what the copy holds so far
            # is still proposed (a canceled dream's proposal can be reviewed like a failed one's).
            failure = exc
        finally:
            gate.close()  # a cancel or a bug abandons calls in flight too
        yield from proposal(workcopy, consolidation.annotations, context.sessions)
        if failure is not None:
            raise failure


def proposal(workcopy: WorkingCopy, annotations, sessions) -> list[Change]:
    """The working copy's differences from the base, each with its annotation and checked evidence."""
    changes, notes = [], []
    for path, change in workcopy.changes():
        base_path = workcopy.base[change.memory_id].path if change.memory_id else None
        note = annotations.get(path) or (annotations.get(base_path) if base_path else None)
        if note is not None:
            change.category, change.rationale = note.category, note.rationale
            change.retires = list(note.retires)
        else:
            change.rationale = UNANNOTATED
        changes.append(change)
        notes.append(note.evidence if note is not None else [])
    for change, evidence in zip(changes, sessions.valid_evidence_of(notes)):  # one query for every change
        change.evidence = evidence
    return changes
