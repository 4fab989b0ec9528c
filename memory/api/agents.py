"""/v1/agents and their API keys (admin keys only)."""

from rest_framework.decorators import api_view
from rest_framework.response import Response

from memory import identity
from memory.api import params, render
from memory.cursors import keyset_page
from memory.errors import InvalidRequest
from memory.models import Agent, ApiKey


@api_view(["GET", "POST"])
def agents(request):
    principal = request.user
    principal.require_admin()
    if request.method == "POST":
        if "name" not in request.data:
            raise InvalidRequest("`name` is required.")
        agent = identity.create_agent(
            workspace=principal.workspace, name=request.data.get("name"), description=request.data.get("description")
        )
        return Response(render.agent(agent))
    rows, next_page = keyset_page(
        Agent.objects.filter(workspace=principal.workspace), scope="agents",
        token=params.get_str(request, "page"), limit=params.get_limit(request),
    )
    return Response(render.page([render.agent(a) for a in rows], next_page))


@api_view(["GET"])
def agent(request, agent_id):
    principal = request.user
    principal.require_admin()
    return Response(render.agent(identity.get_agent(workspace=principal.workspace, agent_id=agent_id)))


@api_view(["GET", "POST"])
def api_keys(request, agent_id):
    principal = request.user
    principal.require_admin()
    agent = identity.get_agent(workspace=principal.workspace, agent_id=agent_id)
    if request.method == "POST":
        name = request.data.get("name") or f"{agent.name} key"
        issued = identity.issue_api_key(workspace=principal.workspace, name=name, agent=agent)
        return Response(render.api_key(issued.key, secret=issued.secret))
    rows, next_page = keyset_page(
        ApiKey.objects.filter(agent=agent), scope=f"api_keys:{agent.id}",
        token=params.get_str(request, "page"), limit=params.get_limit(request),
    )
    return Response(render.page([render.api_key(k) for k in rows], next_page))
