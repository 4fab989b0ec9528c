"""Agent-written text is untrusted: payloads in memory content, paths, session titles and tool
results are shown as text on every page, and no script of theirs runs in a real browser."""

import pytest

from dreams.sessions import register_session
from memory import identity, stores
from memory.access import Actor
from memory.models import MemoryVersion, Role
from memory.store import create_memory, update_memory
from tests.e2e.conftest import assert_no_script_ran, make_user, sign_in

SCRIPT = "<script>window.__pwned = 1</script>"
IMG = '<img src="x" onerror="window.__pwned = 1">'
SVG = '<svg onload="window.__pwned = 1"></svg>'
CONTENT = (
    f"# Notes {SCRIPT}\n\n{IMG}\n\n{SVG}\n\n"
    "[a harmless link](javascript:window.__pwned=1) and <a href=\"javascript:window.__pwned=1\">raw</a>\n\n"
    "```\n" + SCRIPT + "\n```\n"
)
PATH = '/xss/<img src=x onerror="window.__pwned=1">.md'


@pytest.fixture
def hostile(workspace):
    store = stores.create_store(workspace=workspace, name="hostile")
    agent = identity.create_agent(workspace=workspace, name=f"mallory{IMG}")
    session = register_session(
        workspace=workspace, agent=agent, title=f"Session {SCRIPT} {IMG}", environment_id="env_xss",
        events=[
            {"type": "user.message", "content": [{"type": "text", "text": f"Hello {IMG}"}]},
            {"type": "agent.tool_use", "id": "sevt_tool", "name": f"bash{IMG}", "input": {"command": SCRIPT}},
            {"type": "agent.tool_result", "tool_use_id": "sevt_tool", "is_error": True,
             "content": [{"type": "text", "text": f"error: {SCRIPT} {IMG}"}]},
            {"type": "agent.message", "content": [{"type": "text", "text": CONTENT}]},
        ],
    )
    actor = Actor(session_id=session.id)
    memory = create_memory(store=store, path=PATH, content=CONTENT, actor=actor)
    update_memory(store=store, memory_id=memory.id, actor=actor, content=CONTENT + f"\nmore {IMG}\n")
    return store, memory, session


def test_no_payload_runs_on_any_page(page, workspace, hostile):
    store, memory, session = hostile
    make_user("vic", workspace=workspace, role=Role.VIEWER)
    sign_in(page, "vic")
    base = f"/w/{workspace.id}"
    first, second = MemoryVersion.objects.filter(memory_id=memory.id).order_by("seq")
    memory_url = f"{base}/stores/{store.id}/memories/{memory.id}"
    pages = {
        "folder": f"{base}/stores/{store.id}/?prefix=/xss/",
        "memory": memory_url,
        "history": f"{memory_url}/history",
        "version": f"{memory_url}/versions/{first.id}",
        "compare-inline": f"{memory_url}/compare?a={first.id}&b={second.id}",
        "compare-side": f"{memory_url}/compare?a={first.id}&b={second.id}&mode=side",
        "activity": f"{base}/stores/{store.id}/activity",
        "search-path": f"{base}/stores/{store.id}/search?q=xss",
        "search-content": f"{base}/stores/{store.id}/search?q=pwned",
        "sessions": f"{base}/sessions/",
        "transcript": f"{base}/sessions/{session.id}",
        "agents": f"{base}/agents/",
        "grants": f"{base}/grants/",
    }
    for name, url in pages.items():
        page.goto(url)
        page.wait_for_load_state("load")
        page.shot(name)
        assert_no_script_ran(page)
    # The payload is visible as text, not swallowed: the operator sees what the agent wrote.
    page.goto(f"{base}/stores/{store.id}/memories/{memory.id}")
    assert SCRIPT in page.locator("pre.raw-text").inner_text()
    assert page.locator(".markdown a[href^='javascript']").count() == 0
    assert page.locator("img[onerror], svg[onload], .markdown script").count() == 0
    # The transcript shows the hostile title, tool name and tool result as text, errors marked.
    page.goto(f"{base}/sessions/{session.id}")
    assert SCRIPT in page.locator("h1.session-title").inner_text()
    assert IMG in page.locator("#events").inner_text()
    assert page.locator("#events .error").count() >= 1
    assert_no_script_ran(page)


def test_no_payload_in_a_proposal_runs_on_the_review_page(page, workspace, store, settings):
    """A dream's paths, contents, rationale and evidence come from transcripts: the review shows them as text."""
    from tests.console.test_review import HOSTILE, PATTERN_PATH, ScriptedEngine, finished_dream
    from tests.dreams.factories import make_session, text_event

    settings.REVERIE_EXTRA_ENGINES = ["tests.console.test_review:ScriptedEngine"]
    actor = Actor(user_id="user_seed")
    create_memory(store=store, path="/runbooks/db.md", content=f"# DB {IMG}\nRestart with care.", actor=actor)
    agent = identity.create_agent(workspace=workspace, name="pilot")
    sessions = [make_session(workspace, agent, title=f"run {i} {SCRIPT}",
                             events=[text_event(text=f"restart db {IMG}", id=f"evt_{i}_a"),
                                     text_event("agent.message", text="done", id=f"evt_{i}_b")]) for i in range(2)]
    dream = finished_dream(workspace, store, sessions, model=ScriptedEngine.name)
    make_user("olga", workspace=workspace, role=Role.OPERATOR)
    sign_in(page, "olga")
    page.goto(f"/w/{workspace.id}/stores/{store.id}/dreams/{dream.id}")
    page.wait_for_selector("#review-title")
    page.shot("hostile-review")
    assert_no_script_ran(page)
    assert PATTERN_PATH in page.locator("#cat-pattern").inner_text()
    assert HOSTILE in page.locator("#cat-pattern .rationale").inner_text()
    assert page.locator("#review a[href^='javascript']").count() == 0
    page.goto(f"/w/{workspace.id}/stores/{store.id}/dreams/")
    assert_no_script_ran(page)
