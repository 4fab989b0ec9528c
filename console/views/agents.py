"""Agents and their API keys: list (any member), create agents, mint and revoke keys (admin).

A key's secret exists in exactly one response: the POST that mints it renders it
directly (no redirect, no session flash that a reload or the back button could
replay) and tells every cache not to keep it. Only its SHA-256 is stored.
"""

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from console.permissions import workspace_for
from console.views.common import workspace_context
from memory import identity
from memory.errors import NotFound, ReverieError
from memory.models import Agent, ApiKey, Role

PAGE_SIZE = 50


def _agent(ws, agent_id) -> Agent:
    try:
        return identity.get_agent(workspace=ws, agent_id=agent_id)
    except NotFound:
        raise Http404("No such agent.") from None


def _key(ws, key_id) -> ApiKey:
    key = ApiKey.objects.select_related("agent").filter(workspace=ws, id=key_id).first()
    if key is None:
        raise Http404("No such API key.")
    return key


MINTED_TOKENS = "console_minted_key_forms"


def _keys():
    # Newest first; `secret_hash` never leaves the database for these pages.
    return ApiKey.objects.defer("secret_hash").order_by("revoked_at", "-created_at", "-id")


def _agents_page(request, ws, *, form=None, key_name="", error=None, key_error=None, status=200):
    page = Paginator(
        ws.agents.order_by("name", "id").prefetch_related(Prefetch("api_keys", queryset=_keys())), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(request, "console/agents.html", workspace_context(
        request, ws, section="agents", page=page, workspace_keys=_keys().filter(workspace=ws, agent__isnull=True),
        form=form or {"name": "", "description": ""}, key_name=key_name, error=error, key_error=key_error,
        mint_token=secrets.token_urlsafe(12),
    ), status=status)


@login_required
def agents(request, workspace_id):
    """GET: agents (paged) with their keys, and the workspace-level keys. POST (admin): create an agent."""
    role = Role.ADMIN if request.method == "POST" else Role.VIEWER
    ws = workspace_for(request, workspace_id, role=role)
    if request.method != "POST":
        return _agents_page(request, ws)
    form = {"name": request.POST.get("name", "").strip(), "description": request.POST.get("description", "")}
    try:
        created = identity.create_agent(workspace=ws, name=form["name"], description=form["description"])
    except ReverieError as exc:
        return _agents_page(request, ws, form=form, error=exc.message, status=exc.status)
    messages.success(request, f"Created agent {created.name}.")
    return redirect("console:agent", workspace_id=ws.id, agent_id=created.id)


@login_required
def agent(request, workspace_id, agent_id):
    ws = workspace_for(request, workspace_id)
    found = _agent(ws, agent_id)
    return render(request, "console/agent.html", workspace_context(
        request, ws, section="agents", agent=found, keys=_keys().filter(agent=found), key_name="", error=None,
        mint_token=secrets.token_urlsafe(12),
    ))


@login_required
@require_POST
def key_create(request, workspace_id):
    """Mint a key for an agent (`agent_id`) or for the workspace (no agent_id); show its secret once."""
    ws = workspace_for(request, workspace_id, role=Role.ADMIN)
    agent_id = request.POST.get("agent_id") or None
    found = _agent(ws, agent_id) if agent_id else None
    name = request.POST.get("name", "").strip()
    # Each mint form carries a one-time token: sending the same form again (a reload of the
    # secret page resubmits it) must not quietly make a second key.
    token = request.POST.get("mint_token", "")
    minted = request.session.get(MINTED_TOKENS, [])
    if token and token in minted:
        messages.info(request, "That form was already sent: its key was made then, and its secret shown once. "
                               "Make a new key if you need another.")
        if found is not None:
            return redirect("console:agent", workspace_id=ws.id, agent_id=found.id)
        return redirect("console:agents", workspace_id=ws.id)
    try:
        issued = identity.issue_api_key(workspace=ws, name=name, agent=found)
    except ReverieError as exc:
        if found is not None:
            return render(request, "console/agent.html", workspace_context(
                request, ws, section="agents", agent=found, keys=_keys().filter(agent=found), key_name=name,
                error=exc.message,
            ), status=exc.status)
        return _agents_page(request, ws, key_name=name, key_error=exc.message, status=exc.status)
    if token:
        request.session[MINTED_TOKENS] = [*minted, token][-50:]
    response = render(request, "console/key_created.html", workspace_context(
        request, ws, section="agents", key=issued.key, secret=issued.secret, agent=found,
    ))
    add_never_cache_headers(response)  # no-store: no cache, proxy or back button keeps the secret
    return response


@login_required
def key_revoke(request, workspace_id, key_id):
    """GET: ask to confirm. POST (admin): revoke; revoking a revoked key changes nothing."""
    ws = workspace_for(request, workspace_id, role=Role.ADMIN)
    key = _key(ws, key_id)
    if request.method == "POST":
        identity.revoke_api_key(key=key)
        messages.success(request, f"Revoked key {key.name}.")
        if key.agent_id:
            return redirect("console:agent", workspace_id=ws.id, agent_id=key.agent_id)
        return redirect("console:agents", workspace_id=ws.id)
    return render(request, "console/key_revoke.html", workspace_context(request, ws, section="agents", key=key))
