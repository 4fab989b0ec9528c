"""/v1/dreams: the SDK's dreams calls, plus proposal review (admin keys)."""

from rest_framework.decorators import api_view
from rest_framework.response import Response

from dreams import lifecycle, review
from dreams.api import render, requests
from dreams.models import Dream, DreamStatus, Proposal
from memory.api import params
from memory.api.render import page
from memory.cursors import keyset_page, seq_page
from memory.errors import InvalidRequest

STATUSES = [choice.value for choice in DreamStatus]


@api_view(["GET", "POST"])
def dreams(request):
    principal = request.user
    if request.method == "POST":
        principal.require_admin()
        dream = lifecycle.start_dream(principal=principal, **requests.start_arguments(request.data))
        return Response(render.dream(dream))

    principal.require_admin()
    queryset = Dream.objects.filter(workspace=principal.workspace).select_related("proposal")
    if not params.get_bool(request, "include_archived"):
        queryset = queryset.filter(archived_at__isnull=True)
    if after := params.get_datetime(request, "created_at[gt]"):
        queryset = queryset.filter(created_at__gt=after)
    if before := params.get_datetime(request, "created_at[lt]"):
        queryset = queryset.filter(created_at__lt=before)
    if store_id := params.get_str(request, "memory_store_id"):
        queryset = queryset.filter(input_store_id=store_id)
    statuses = params.get_list(request, "statuses")
    if unknown := [s for s in statuses if s not in STATUSES]:
        raise InvalidRequest(f"`statuses` has an unknown status {unknown[0]!r}; use {', '.join(STATUSES)}.")
    if statuses:
        queryset = queryset.filter(status__in=statuses)
    rows, next_page = keyset_page(
        queryset, scope="dreams", token=params.get_str(request, "page"), limit=params.get_limit(request)
    )
    return Response(page([render.dream(d) for d in rows], next_page))


@api_view(["GET"])
def dream(request, dream_id):
    return Response(render.dream(lifecycle.get_dream(principal=request.user, dream_id=dream_id)))


@api_view(["POST"])
def cancel(request, dream_id):
    item = lifecycle.get_dream(principal=request.user, dream_id=dream_id)
    return Response(render.dream(lifecycle.cancel_dream(dream=item)))


@api_view(["POST"])
def archive(request, dream_id):
    item = lifecycle.get_dream(principal=request.user, dream_id=dream_id)
    return Response(render.dream(lifecycle.archive_dream(dream=item)))


@api_view(["POST"])
def rerun(request, dream_id):
    item = lifecycle.get_dream(principal=request.user, dream_id=dream_id)
    new = lifecycle.rerun_dream(principal=request.user, dream=item)
    return Response(render.dream(new))


def _proposal(request, dream_id) -> Proposal:
    return lifecycle.get_proposal(principal=request.user, dream_id=dream_id)


@api_view(["GET"])
def proposal(request, dream_id):
    return Response(render.proposal_summary(_proposal(request, dream_id)))


@api_view(["GET"])
def changes(request, dream_id):
    item = _proposal(request, dream_id)
    view = params.get_view(request, default="basic")
    limit = params.get_limit(request)
    queryset = item.changes.all()
    if category := params.get_str(request, "category"):
        queryset = queryset.filter(category=category)
    if state := params.get_str(request, "review_state"):
        queryset = queryset.filter(review_state=state)
    if warning := params.get_str(request, "warning"):
        queryset = review.changes_with_warning(queryset, warning)
    if view == "full":
        queryset = queryset.select_related("blob")
    rows, next_page = seq_page(queryset, scope=f"changes:{item.id}", token=params.get_str(request, "page"),
                               limit=limit, newest_first=False)
    return Response(page([render.change(c, full=view == "full") for c in rows], next_page))


@api_view(["POST"])
def approve(request, dream_id):
    item = _proposal(request, dream_id)
    result = review.approve(proposal=item, actor=request.user.actor, change_ids=request.data.get("change_ids"))
    return Response(render.report(result))


@api_view(["POST"])
def reject(request, dream_id):
    item = _proposal(request, dream_id)
    result = review.reject(proposal=item, actor=request.user.actor, change_ids=request.data.get("change_ids"))
    return Response(render.report(result))


@api_view(["POST"])
def rollback(request, dream_id):
    item = _proposal(request, dream_id)
    return Response(render.report(review.rollback(proposal=item, actor=request.user.actor)))
