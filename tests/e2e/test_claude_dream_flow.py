"""A Claude dream by clicks: the Dream form offers the Claude model once a key is configured, a real
worker dreams through ANTHROPIC_BASE_URL (the fake Messages API), and the operator approves and rolls
back the proposal."""

import pytest

from bench.dreameval.fakebrain import Brain
from dreams.demo.loader import load_demo
from dreams.models import Dream, DreamStatus
from memory.blobs import read_blob
from memory.models import Memory, Role
from tests.e2e.conftest import make_user, sign_in
from tests.fakes.messages_api import FakeMessagesAPI
from tests.worker import running_worker

MODEL = "claude-sonnet-5-5"


@pytest.fixture
def demo(transactional_db):
    return load_demo()


def contents(store_id):
    return {m.path: read_blob(m.blob) for m in Memory.objects.filter(store_id=store_id).select_related("blob")}


def test_an_operator_dreams_with_claude_approves_and_rolls_back(page, demo, monkeypatch, settings):
    settings.REVERIE_CLAUDE_MODELS = [MODEL]
    with FakeMessagesAPI(api_key="sk-ant-e2e", handler=Brain(), latency=0.02) as fake:
        env = {"ANTHROPIC_API_KEY": "sk-ant-e2e", "ANTHROPIC_BASE_URL": fake.url}
        for name, value in env.items():
            monkeypatch.setenv(name, value)  # the web process (this one) sees the key too
        make_user("olga", workspace=demo.workspace, role=Role.OPERATOR)
        before = contents(demo.store_id)
        sign_in(page, "olga")
        page.get_by_role("link", name="sre-runbooks").click()
        page.get_by_role("link", name="Dream", exact=True).click()
        page.wait_for_selector("#session-count")
        page.select_option("select[name=model]", MODEL)

        with running_worker(env=env):
            page.get_by_role("button", name="Start dream").click()
            page.wait_for_selector("#review-title", timeout=90_000)
        page.shot("claude-review")
        dream = Dream.objects.get(input_store_id=demo.store_id)
        assert (dream.status, dream.engine, dream.model_id) == (DreamStatus.COMPLETED, "claude", MODEL)
        assert any(r.body.get("model") == MODEL for r in fake.requests)

    assert page.locator("article.change").count() >= 1
    page.get_by_role("button", name="Approve all", exact=False).click()
    page.wait_for_selector("text=Proposal is now")
    assert contents(demo.store_id) != before
    page.get_by_role("button", name="Roll back", exact=False).click()
    page.wait_for_selector("text=rolled back")
    page.shot("claude-rolled-back")
    assert contents(demo.store_id) == before
    assert not page.errors
