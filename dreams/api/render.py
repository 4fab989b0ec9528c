"""Dreams and proposals on the wire."""

from dreams.models import Dream
from memory.api.render import timestamp
from memory.blobs import read_blob


def dream(item: Dream) -> dict:
    inputs = [{"type": "memory_store", "memory_store_id": item.input_store_id}]
    if item.session_filter is None or item.session_ids:
        inputs.append({"type": "sessions", "session_ids": sorted(item.session_ids)})
    output_behavior = {"type": item.output_behavior}
    if item.output_behavior == "update_existing":
        output_behavior["memory_store_id"] = item.input_store_id
        outputs = [{"type": "memory_store", "memory_store_id": item.input_store_id}] if item.started_at else []
    else:
        outputs = [{"type": "memory_store", "memory_store_id": item.output_store_id}] if item.output_store_id else []
    # The reverse one-to-one raises an AttributeError subclass when absent.
    proposal = getattr(item, "proposal", None)
    return {
        "type": "dream",
        "id": item.id,
        "status": item.status,
        "inputs": inputs,
        "model": {"id": item.model_id, "speed": item.model_speed},
        "instructions": item.instructions,
        "output_behavior": output_behavior,
        "outputs": outputs,
        "usage": {
            "input_tokens": item.input_tokens,
            "output_tokens": item.output_tokens,
            "cache_creation_input_tokens": item.cache_creation_input_tokens,
            "cache_read_input_tokens": item.cache_read_input_tokens,
        },
        "error": item.error,
        "session_id": item.session_id,
        "created_at": timestamp(item.created_at),
        "ended_at": timestamp(item.ended_at),
        "archived_at": timestamp(item.archived_at),
        # Reverie extensions
        "engine": item.engine,
        "session_filter": item.session_filter,
        "budget_tokens": item.budget_tokens,
        "progress": item.progress,
        "trigger": item.trigger,
        # Id and status only: counts cost a query per dream, so they live on GET …/proposal.
        "proposal": {"id": proposal.id, "status": proposal.status} if proposal else None,
    }


def proposal_summary(proposal) -> dict:
    counts: dict[str, int] = {}
    states: dict[str, int] = {}
    for category, state in proposal.changes.values_list("category", "review_state"):
        counts[category] = counts.get(category, 0) + 1
        states[state] = states.get(state, 0) + 1
    return {
        "type": "dream_proposal",
        "id": proposal.id,
        "dream_id": proposal.dream_id,
        "memory_store_id": proposal.store_id,
        "status": proposal.status,
        "change_counts": counts,
        "review_counts": states,
        "applied_changeset_id": proposal.applied_changeset_id,
        "rollback_changeset_id": proposal.rollback_changeset_id,
        "created_at": timestamp(proposal.created_at),
        "reviewed_at": timestamp(proposal.reviewed_at),
        "reviewed_by": proposal.reviewed_by,
        "rolled_back_at": timestamp(proposal.rolled_back_at),
    }


def change(item, *, full: bool) -> dict:
    body = {
        "type": "dream_change",
        "id": item.id,
        "operation": item.operation,
        "category": item.category,
        "rationale": item.rationale,
        "evidence": item.evidence,
        "memory_id": item.memory_id or item.applied_memory_id,
        "base_path": item.base_path,
        "base_content_sha256": item.base_sha256,
        "base_version_id": item.base_version_id,
        "path": item.path,
        "content_sha256": item.blob_id,
        "warnings": item.warnings,
        "review_state": item.review_state,
        "review_note": item.review_note,
        "applied_version_id": item.applied_version_id,
        "rollback_version_id": item.rollback_version_id,
        "content": None,
    }
    if full and item.blob_id:
        body["content"] = read_blob(item.blob)
    return body


def report(item) -> dict:
    return {
        "type": "dream_review_report",
        "proposal_id": item.proposal_id,
        "status": item.status,
        "applied": item.applied,
        "rejected": item.rejected,
        "conflicts": item.conflicts,
        "restored": item.restored,
        "refused": item.refused,
        "changeset_id": item.changeset_id,
        "already_done": item.already_done,
    }
