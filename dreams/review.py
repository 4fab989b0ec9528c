"""Approving, rejecting and rolling back a dream's proposal.

Approval applies the chosen changes to the input store in one transaction, as
one changeset, through the same store functions agents use. A change whose
memory moved since the dream read it is a conflict: reported, never applied.
Rollback writes the previous contents back as new versions, refusing per memory
where a later write would be lost. The proposal row is locked for the whole
operation, so double clicks and concurrent approvals apply nothing twice.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from dreams import guards
from dreams.models import (
    TERMINAL_STATUSES,
    ChangeOperation,
    DreamStatus,
    OutputBehavior,
    Proposal,
    ProposalStatus,
    ProposedChange,
    ReviewState,
)
from memory import store as memory_store
from memory.access import Actor
from memory.blobs import read_blob
from memory.errors import Conflict, InvalidRequest
from memory.models import Blob, ChangeSet, Memory


@dataclass
class Report:
    proposal_id: str
    status: str
    applied: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    refused: list[dict] = field(default_factory=list)
    changeset_id: str | None = None
    already_done: bool = False


def approve(*, proposal: Proposal, actor: Actor, change_ids: list[str] | None = None) -> Report:
    """Apply the selected pending changes (all when `change_ids` is None); the rest are rejected."""
    return _apply(proposal, actor, change_ids, in_place=False)


def apply_in_place(*, proposal: Proposal, actor: Actor) -> Report:
    """What an update_existing dream's runner does when its engine is done, before the dream
    finishes: apply every pending change that carries no warning to the input store. Flagged
    changes stay pending, and the proposal open, for a person to approve or reject."""
    return _apply(proposal, actor, None, in_place=True)


def _apply(proposal: Proposal, actor: Actor, change_ids: list[str] | None, *, in_place: bool) -> Report:
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().select_related("dream", "store").get(pk=proposal.pk)
        if proposal.status != ProposalStatus.OPEN:
            return _report(proposal, already_done=True)
        if in_place:
            if proposal.dream.status != DreamStatus.RUNNING or proposal.dream.output_behavior != \
                    OutputBehavior.UPDATE_EXISTING:
                raise InvalidRequest("Only a running update_existing dream applies its own proposal in place.")
        else:
            _check_finished(proposal)
        if proposal.store.archived_at is not None:
            raise InvalidRequest("The memory store is archived; its proposal cannot be applied.")
        changes = list(proposal.changes.filter(review_state=ReviewState.PENDING).select_related("blob").order_by("seq"))
        _check_selection(changes, change_ids)
        chosen = set(change_ids) if change_ids is not None else {c.id for c in changes}
        if in_place:
            chosen = {c.id for c in changes if not c.warnings}
        changeset = _changeset(proposal, actor, f"Applied dream {proposal.dream_id}")
        report = Report(proposal_id=proposal.id, status="", changeset_id=changeset.id)
        for change in changes:
            if in_place and change.id not in chosen:
                continue  # flagged: it waits for a reviewer
            if change.id not in chosen:
                change.review_state = ReviewState.REJECTED
                report.rejected.append(change.id)
            else:
                conflict = _apply_one(change, proposal, actor, changeset)
                if conflict:
                    change.review_state = ReviewState.CONFLICT
                    change.review_note = conflict
                    report.conflicts.append({"change_id": change.id, "path": change.base_path or change.path,
                                             "reason": conflict})
                else:
                    change.review_state = ReviewState.APPLIED
                    report.applied.append(change.id)
            change.save(update_fields=["review_state", "review_note", "applied_version_id", "applied_memory_id"])
        proposal.status = _settled_status(proposal)
        if report.applied and proposal.applied_changeset_id is None:
            proposal.applied_changeset = changeset
        proposal.reviewed_at = timezone.now()
        proposal.reviewed_by = actor.as_json()
        proposal.save(update_fields=["status", "applied_changeset", "reviewed_at", "reviewed_by"])
        if not report.applied:
            changeset.delete()
            report.changeset_id = None
        report.status = proposal.status
        return report


def reject(*, proposal: Proposal, actor: Actor, change_ids: list[str] | None = None) -> Report:
    """Reject some pending changes, or (no ids) close the whole proposal."""
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().select_related("dream").get(pk=proposal.pk)
        if proposal.status != ProposalStatus.OPEN:
            return _report(proposal, already_done=True)
        _check_finished(proposal)
        pending = proposal.changes.filter(review_state=ReviewState.PENDING)
        _check_selection(list(pending), change_ids)
        if change_ids is not None:
            pending = pending.filter(id__in=change_ids)
        rejected = list(pending.values_list("id", flat=True))
        pending.update(review_state=ReviewState.REJECTED)
        if change_ids is None or not proposal.changes.filter(review_state=ReviewState.PENDING).exists():
            proposal.status = _settled_status(proposal)
            proposal.reviewed_at = timezone.now()
            proposal.reviewed_by = actor.as_json()
            proposal.save(update_fields=["status", "reviewed_at", "reviewed_by"])
        return Report(proposal_id=proposal.id, status=proposal.status, rejected=rejected)


def rollback(*, proposal: Proposal, actor: Actor) -> Report:
    """Undo every applied change with new versions; refuse where a later write would be clobbered."""
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().select_related("store").get(pk=proposal.pk)
        if proposal.status == ProposalStatus.ROLLED_BACK:
            return _report(proposal, already_done=True)
        if proposal.status not in (ProposalStatus.APPLIED, ProposalStatus.PARTIALLY_APPLIED):
            raise InvalidRequest(f"Proposal {proposal.id!r} is {proposal.status}; only applied proposals roll back.")
        changes = list(proposal.changes.filter(review_state=ReviewState.APPLIED).order_by("-seq"))
        changeset = _changeset(proposal, actor, f"Rolled back dream {proposal.dream_id}")
        report = Report(proposal_id=proposal.id, status="", changeset_id=changeset.id)
        for change in changes:
            refusal = _undo_one(change, proposal, actor, changeset)
            if refusal:
                change.review_state = ReviewState.ROLLBACK_REFUSED
                change.review_note = refusal
                report.refused.append({"change_id": change.id, "path": change.path or change.base_path,
                                       "reason": refusal})
            else:
                change.review_state = ReviewState.ROLLED_BACK
                report.restored.append(change.id)
            change.save(update_fields=["review_state", "review_note", "rollback_version_id"])
        proposal.status = ProposalStatus.ROLLED_BACK
        proposal.rollback_changeset = changeset
        proposal.rolled_back_at = timezone.now()
        proposal.save(update_fields=["status", "rollback_changeset", "rolled_back_at"])
        report.status = proposal.status
        return report


def changes_with_warning(changes, wanted: str):
    """`changes` filtered by a warning filter (dreams.guards.has_warning). Warnings are a JSON list,
    which SQLite cannot search inside, so the flags are read once and the filter is by id."""
    return changes.filter(pk__in=[pk for pk, found in changes.values_list("pk", "warnings")
                                  if guards.has_warning(found, wanted)])


def _settled_status(proposal: Proposal) -> str:
    """The proposal's status from all its changes: open while any waits for review (an in-place
    dream leaves its flagged changes so), else applied, partially applied or rejected."""
    states = set(proposal.changes.values_list("review_state", flat=True))
    if ReviewState.PENDING in states:
        return ProposalStatus.OPEN
    if ReviewState.APPLIED in states:
        return ProposalStatus.APPLIED if states == {ReviewState.APPLIED} else ProposalStatus.PARTIALLY_APPLIED
    return ProposalStatus.PARTIALLY_APPLIED if ReviewState.CONFLICT in states else ProposalStatus.REJECTED


def _check_finished(proposal: Proposal) -> None:
    # A running dream is still adding changes: a review now would judge half a proposal.
    if proposal.dream.status not in TERMINAL_STATUSES:
        raise Conflict(f"Dream {proposal.dream_id} is still {proposal.dream.status}; review it once it has finished.")


def _changeset(proposal: Proposal, actor: Actor, message: str) -> ChangeSet:
    """One changeset per review action, naming both the reviewer and the dream."""
    return ChangeSet.objects.create(store=proposal.store, message=message,
                                    actor={"actor": actor.as_json(), "dream_id": proposal.dream_id})


def _check_selection(pending: list[ProposedChange], change_ids) -> None:
    if change_ids is None:
        return
    if not isinstance(change_ids, list) or not all(isinstance(c, str) for c in change_ids):
        raise InvalidRequest("`change_ids` must be a list of change ids.")
    known = {c.id for c in pending}
    unknown = [c for c in change_ids if c not in known]
    if unknown:
        raise InvalidRequest(f"Change {unknown[0]!r} is not a pending change of this proposal.")


def _apply_one(change: ProposedChange, proposal: Proposal, actor: Actor, changeset) -> str | None:
    """Apply one change; return why it conflicts instead, if it does."""
    store = proposal.store
    if change.operation == ChangeOperation.CREATE:
        occupant = Memory.objects.filter(store=store, path=change.path).first()
        if occupant is not None:
            return f"{change.path} was created by someone else after the dream started."
        memory = memory_store.create_memory(store=store, path=change.path, content=read_blob(change.blob),
                                            actor=actor, changeset=changeset)
        change.applied_memory_id, change.applied_version_id = memory.id, memory.head_version_id
        return None
    memory = Memory.objects.select_for_update().filter(store=store, id=change.memory_id).first()
    if memory is None:
        return f"{change.base_path} was deleted after the dream started."
    if memory.blob_id != change.base_sha256 or memory.path != change.base_path:
        return f"{change.base_path} changed after the dream started (now version {memory.head_version_id})."
    if change.operation == ChangeOperation.DELETE:
        deleted = memory_store.delete_memory(store=store, memory_id=memory.id, actor=actor,
                                             expected_sha256=change.base_sha256, changeset=changeset)
        change.applied_memory_id, change.applied_version_id = change.memory_id, deleted.deleted_version_id
        return None
    if change.path != memory.path and Memory.objects.filter(store=store, path=change.path).exists():
        return f"{change.path} is taken by another memory now."
    updated = memory_store.update_memory(
        store=store, memory_id=memory.id, actor=actor, expected_sha256=change.base_sha256, changeset=changeset,
        content=read_blob(change.blob) if change.blob_id else None, path=change.path,
    )
    change.applied_memory_id, change.applied_version_id = updated.id, updated.head_version_id
    return None


def _undo_one(change: ProposedChange, proposal: Proposal, actor: Actor, changeset) -> str | None:
    store = proposal.store
    memory = Memory.objects.select_for_update().filter(store=store, id=change.applied_memory_id).first()
    if change.operation == ChangeOperation.DELETE:
        if memory is not None:
            return f"{change.base_path} exists again; restoring it would overwrite a later write."
        if Memory.objects.filter(store=store, path=change.base_path).exists():
            return f"{change.base_path} was taken by a new memory after the dream was applied."
        base = Blob.objects.filter(sha256=change.base_sha256).first()
        if base is None:
            return f"The earlier content of {change.base_path} was redacted and cannot be restored."
        revived = memory_store.create_memory(store=store, path=change.base_path, content=read_blob(base),
                                             actor=actor, changeset=changeset, memory_id=change.memory_id)
        change.rollback_version_id = revived.head_version_id
        return None
    if memory is None:
        return f"{change.path} was deleted after the dream was applied."
    if memory.head_version_id != change.applied_version_id:
        return f"{memory.path} was changed after the dream was applied (now version {memory.head_version_id})."
    if change.operation == ChangeOperation.CREATE:
        deleted = memory_store.delete_memory(store=store, memory_id=memory.id, actor=actor,
                                             expected_sha256=memory.blob_id, changeset=changeset)
        change.rollback_version_id = deleted.deleted_version_id
        return None
    base = Blob.objects.filter(sha256=change.base_sha256).first()
    if base is None:
        return f"The earlier content of {change.base_path} was redacted and cannot be restored."
    if change.base_path != memory.path and Memory.objects.filter(store=store, path=change.base_path).exists():
        return f"{change.base_path} was taken by another memory after the dream was applied."
    restored = memory_store.update_memory(store=store, memory_id=memory.id, actor=actor, content=read_blob(base),
                                          path=change.base_path, expected_sha256=memory.blob_id,
                                          changeset=changeset)
    change.rollback_version_id = restored.head_version_id
    return None


def _report(proposal: Proposal, *, already_done: bool) -> Report:
    report = Report(proposal_id=proposal.id, status=proposal.status, already_done=already_done,
                    changeset_id=proposal.applied_changeset_id)
    for change_id, state, note, path in proposal.changes.values_list("id", "review_state", "review_note", "path"):
        if state == ReviewState.APPLIED:
            report.applied.append(change_id)
        elif state == ReviewState.REJECTED:
            report.rejected.append(change_id)
        elif state == ReviewState.CONFLICT:
            report.conflicts.append({"change_id": change_id, "path": path, "reason": note})
        elif state == ReviewState.ROLLED_BACK:
            report.restored.append(change_id)
        elif state == ReviewState.ROLLBACK_REFUSED:
            report.refused.append({"change_id": change_id, "path": path, "reason": note})
    return report
