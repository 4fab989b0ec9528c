"""The demo workspace `make run` loads: once, whole, with attributed notes and real findings for a dream."""

import pytest
from django.core.management import call_command

from dreams import runner
from dreams.demo.loader import DEMO_GRANTS, DEMO_STORE, load_demo
from dreams.lifecycle import SessionFilter, start_dream
from dreams.models import DreamStatus, ProposedChange, Session
from memory.access import Principal
from memory.models import ApiKey, Grant, Memory, MemoryStore, MemoryVersion, Workspace


@pytest.fixture
def demo(transactional_db):
    return load_demo()


def test_it_loads_a_store_and_sessions_of_three_agents(demo):
    store = MemoryStore.objects.get(id=demo.store_id)
    assert store.name == DEMO_STORE and store.workspace == demo.workspace
    assert Memory.objects.filter(store=store).count() == demo.memories >= 10
    sessions = Session.objects.filter(workspace=demo.workspace)
    assert sessions.count() == demo.sessions == 30
    assert set(sessions.values_list("agent__name", flat=True)) == set(DEMO_GRANTS)


def test_each_agent_has_its_own_grant_and_key(demo):
    grants = dict(Grant.objects.filter(store_id=demo.store_id).values_list("agent__name", "access"))
    assert grants == {name: str(access) for name, access in DEMO_GRANTS.items()}
    assert len(set(grants.values())) > 1  # different grants, so the matrix shows something
    assert ApiKey.objects.filter(workspace=demo.workspace, agent__isnull=False).count() == len(DEMO_GRANTS)


def test_its_admin_key_reaches_the_demo_store_through_the_sdk(demo, sdk):
    client = sdk(demo.admin_key_secret)
    assert [s.id for s in client.beta.memory_stores.list()] == [demo.store_id]
    assert len(list(client.beta.memory_stores.memories.list(demo.store_id, path_prefix="/notes/"))) == 3


def test_agent_notes_are_attributed_to_the_agent_key_and_a_session(demo):
    version = MemoryVersion.objects.get(path="/notes/sre-search.md", store_id=demo.store_id)
    key = ApiKey.objects.get(id=version.api_key_id)
    assert key.agent.name == "sre-search"
    assert Session.objects.get(id=version.session_id).agent.name == "sre-search"


def test_loading_twice_changes_nothing(demo):
    assert load_demo() is None
    call_command("load_demo")
    assert Workspace.objects.filter(name="demo").count() == 1
    assert MemoryStore.objects.filter(workspace=demo.workspace).count() == 1


def test_a_dream_on_the_demo_store_proposes_each_kind_of_finding(demo):
    dream = start_dream(principal=Principal(workspace=demo.workspace, user_id="user_test"),
                        store_id=demo.store_id, model_id="reverie-offline", session_filter=SessionFilter())
    assert runner.run_dream(dream.id) == DreamStatus.COMPLETED
    categories = set(ProposedChange.objects.filter(proposal__dream=dream).values_list("category", flat=True))
    assert {"dedup", "stale", "verify", "pattern"} <= categories
