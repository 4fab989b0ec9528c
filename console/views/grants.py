"""The grants matrix: agents × active stores, one select per cell, plus each store's default access.

Any member reads it; only an admin changes it. A cell saves in place through htmx
(the response is the re-rendered cell, a partial of the page) and through a plain
form post without JavaScript. "Store default" removes the agent's grant, so the
store's default_agent_access applies and follows later changes of that default.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from console.permissions import store_for, workspace_for
from console.views.common import workspace_context
from memory import stores as store_ops
from memory.errors import ReverieError
from memory.models import Access, Agent, Grant, Role

PAGE_SIZE = 50  # agents (rows) per page
STORE_COLUMNS = 12  # stores (columns) per page: the matrix stays readable and bounded both ways


def _cell(agent, store, access, *, error=None) -> dict:
    return {"agent": agent, "store": store, "access": access or "", "error": error}


def _matrix(ws, page_number, stores_number) -> dict:
    """Five queries whatever the size: a page of agents and one of stores (each with its count), their grants."""
    page = Paginator(ws.agents.order_by("name", "id"), PAGE_SIZE).get_page(page_number)
    agents = list(page.object_list)
    store_page = Paginator(ws.memory_stores.filter(archived_at__isnull=True).order_by("name", "id"),
                           STORE_COLUMNS).get_page(stores_number)
    stores = list(store_page.object_list)
    granted = {
        (agent_id, store_id): access
        for agent_id, store_id, access in Grant.objects.filter(
            agent_id__in=[a.id for a in agents], store_id__in=[s.id for s in stores]
        ).values_list("agent_id", "store_id", "access")
    }
    rows = [{"agent": a, "cells": [_cell(a, s, granted.get((a.id, s.id))) for s in stores]} for a in agents]
    return {"page": page, "store_page": store_page, "stores": stores, "rows": rows}


def _page_number(request, name: str = "page") -> str:
    page = request.POST.get(name) or request.GET.get(name) or "1"
    return page if page.isdigit() else "1"


def _numbers(request) -> dict:
    """Which page of agents (`page`) and of stores (`stores`) the matrix shows; forms carry both."""
    return {"page_number": _page_number(request), "stores_number": _page_number(request, "stores")}


def _render_page(request, ws, *, error=None, status=200):
    return render(request, "console/grants.html", workspace_context(
        request, ws, section="grants", access_choices=Access.choices, error=error, **_numbers(request),
        **_matrix(ws, _page_number(request), _page_number(request, "stores")),
    ), status=status)


def _render_cell(request, ws, cell, *, status=200, saved=False):
    """One cell of the matrix, the htmx answer to a change in it."""
    return render(request, "console/grants.html#cell", workspace_context(
        request, ws, cell=cell, access_choices=Access.choices, saved=saved, **_numbers(request),
    ), status=status)


def _back(ws, request):
    numbers = _numbers(request)
    return redirect(reverse("console:grants", args=[ws.id])
                    + f"?page={numbers['page_number']}&stores={numbers['stores_number']}")


@login_required
def grants(request, workspace_id):
    ws = workspace_for(request, workspace_id)
    return _render_page(request, ws)


@login_required
@require_POST
def grant_set(request, workspace_id):
    """Set one cell: `access` is read_write, read_only, no_access, or empty for the store default."""
    ws = workspace_for(request, workspace_id, role=Role.ADMIN)
    store = store_for(request, ws, request.POST.get("store_id", ""))
    agent = Agent.objects.filter(workspace=ws, id=request.POST.get("agent_id", "")).first()
    if agent is None:
        raise Http404("No such agent.")
    access = request.POST.get("access", "")
    try:
        if access == "":
            store_ops.remove_grant(store=store, agent_id=agent.id)
        else:
            store_ops.set_grant(store=store, agent_id=agent.id, access=access)
    except ReverieError as exc:
        if not request.htmx:
            return _render_page(request, ws, error=exc.message, status=exc.status)
        current = Grant.objects.filter(store=store, agent=agent).values_list("access", flat=True).first()
        return _render_cell(request, ws, _cell(agent, store, current, error=exc.message), status=exc.status)
    if request.htmx:
        return _render_cell(request, ws, _cell(agent, store, access), saved=True)
    label = "the store default" if access == "" else Access(access).label
    messages.success(request, f"{agent.name} now has {label} on {store.name}.")
    return _back(ws, request)


@login_required
@require_POST
def grant_default(request, workspace_id):
    """Set a store's default access: what agents without a grant get."""
    ws = workspace_for(request, workspace_id, role=Role.ADMIN)
    store = store_for(request, ws, request.POST.get("store_id", ""))
    error = None
    try:
        store = store_ops.update_store(store=store, default_agent_access=request.POST.get("default_agent_access", ""))
    except ReverieError as exc:
        error = exc
    if request.htmx:
        store.refresh_from_db()
        return render(request, "console/grants.html#default_cell", workspace_context(
            request, ws, store=store, default_error=error.message if error else None, access_choices=Access.choices,
            **_numbers(request),
        ), status=error.status if error else 200)
    if error:
        return _render_page(request, ws, error=error.message, status=error.status)
    label = store.get_default_agent_access_display()
    messages.success(request, f"Agents without a grant now get {label} on {store.name}.")
    return _back(ws, request)
