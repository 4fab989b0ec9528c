from memory import identity
from memory.models import Agent

XSS = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


def test_it_lists_agents_with_keys(vic_viewer, workspace):
    agent = identity.create_agent(workspace=workspace, name="writer", description="writes runbooks")
    issued = identity.issue_api_key(workspace=workspace, name="laptop", agent=agent)
    identity.issue_api_key(workspace=workspace, name="ci admin")
    r = vic_viewer.get(f"/w/{workspace.id}/agents/")
    assert r.status_code == 200
    assert r.context["section"] == "agents"
    body = r.content.decode()
    assert "writer" in body and "writes runbooks" in body and "laptop" in body and "ci admin" in body
    assert issued.key.hint in body
    assert issued.secret not in body
    # A viewer reads, but gets no forms.
    assert 'name="name"' not in body and "Revoke" not in body


def test_it_shows_admin_the_forms(alice_admin, workspace):
    r = alice_admin.get(f"/w/{workspace.id}/agents/")
    assert r.status_code == 200
    assert r.content.count(b"csrfmiddlewaretoken") >= 3  # new agent, workspace key, sign out
    assert b"Create agent" in r.content and b"Make workspace key" in r.content


def test_it_pages_agents(alice_admin, workspace, django_assert_max_num_queries):
    for i in range(55):
        agent = identity.create_agent(workspace=workspace, name=f"agent-{i:02}")
        identity.issue_api_key(workspace=workspace, name=f"key-{i:02}", agent=agent)
    with django_assert_max_num_queries(12):
        r = alice_admin.get(f"/w/{workspace.id}/agents/")
    assert r.status_code == 200
    assert len(r.context["page"].object_list) == 50
    assert b"agent-49" in r.content and b"agent-50" not in r.content
    r = alice_admin.get(f"/w/{workspace.id}/agents/?page=2")
    assert b"agent-54" in r.content and b"key-54" in r.content and b"agent-00" not in r.content


def test_it_creates_agent_as_admin(alice_admin, workspace):
    r = alice_admin.post(f"/w/{workspace.id}/agents/", {"name": "planner", "description": "plans"})
    agent = Agent.objects.get(workspace=workspace, name="planner")
    assert r.status_code == 302
    assert r["Location"] == f"/w/{workspace.id}/agents/{agent.id}"
    assert agent.description == "plans"


def test_it_rejects_empty_agent_name(alice_admin, workspace):
    r = alice_admin.post(f"/w/{workspace.id}/agents/", {"name": "   "})
    assert r.status_code == 400
    assert b'class="error"' in r.content
    assert not Agent.objects.filter(workspace=workspace).exists()


def test_it_rejects_duplicate_agent_name(alice_admin, workspace):
    identity.create_agent(workspace=workspace, name="planner")
    r = alice_admin.post(f"/w/{workspace.id}/agents/", {"name": "planner"})
    assert r.status_code == 409
    assert b"already exists" in r.content
    assert Agent.objects.filter(workspace=workspace).count() == 1


def test_it_forbids_operator_and_viewer_creating_agents(olga_operator, vic_viewer, workspace):
    assert olga_operator.post(f"/w/{workspace.id}/agents/", {"name": "x"}).status_code == 403
    assert vic_viewer.post(f"/w/{workspace.id}/agents/", {"name": "x"}).status_code == 403
    assert not Agent.objects.exists()


def test_it_shows_agent_page(olga_operator, workspace):
    agent = identity.create_agent(workspace=workspace, name="writer")
    identity.issue_api_key(workspace=workspace, name="laptop", agent=agent)
    r = olga_operator.get(f"/w/{workspace.id}/agents/{agent.id}")
    assert r.status_code == 200
    assert b"laptop" in r.content
    assert b"Make key" not in r.content  # operators read only


def test_it_404s_other_workspace(alice_admin, workspace, other_workspace):
    foreign = identity.create_agent(workspace=other_workspace, name="spy")
    assert alice_admin.get(f"/w/{other_workspace.id}/agents/").status_code == 404
    assert alice_admin.get(f"/w/{workspace.id}/agents/{foreign.id}").status_code == 404
    assert alice_admin.post(f"/w/{other_workspace.id}/agents/", {"name": "x"}).status_code == 404
    assert not Agent.objects.filter(name="x").exists()


def test_it_requires_login(client, workspace):
    r = client.get(f"/w/{workspace.id}/agents/")
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_it_escapes_agent_and_key_names(alice_admin, workspace):
    agent = identity.create_agent(workspace=workspace, name=XSS, description=IMG)
    identity.issue_api_key(workspace=workspace, name=IMG, agent=agent)
    identity.issue_api_key(workspace=workspace, name=XSS)
    for page in (f"/w/{workspace.id}/agents/", f"/w/{workspace.id}/agents/{agent.id}"):
        r = alice_admin.get(page)
        assert r.status_code == 200
        assert XSS.encode() not in r.content and IMG.encode() not in r.content
        assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in r.content
        assert b"&lt;img src=x onerror=alert(1)&gt;" in r.content
