"""The Dream form: choose sessions (filter or ticks) with a live count, then start_dream."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dreams.models import Dream
from memory import identity
from tests.dreams.factories import make_session

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def agents(workspace):
    return (identity.create_agent(workspace=workspace, name="pilot"),
            identity.create_agent(workspace=workspace, name="copilot"))


@pytest.fixture
def sessions(workspace, agents):
    pilot, copilot = agents
    now = timezone.now()
    return [
        make_session(workspace, pilot, title=HOSTILE, created_at=now - timedelta(days=3), updated_at=now),
        make_session(workspace, pilot, title="second", created_at=now - timedelta(days=1), updated_at=now),
        make_session(workspace, copilot, title="third", created_at=now, updated_at=now),
    ]


def url(workspace, store, suffix=""):
    return f"/w/{workspace.id}/stores/{store.id}/dreams/new{suffix}"


def form(**fields):
    data = {"mode": "filter", "max_sessions": "100", "instructions": "", "model": "reverie-offline",
            "budget_tokens": "", "output_behavior": "create_new"}
    data.update(fields)
    return data


def test_it_shows_the_form_with_engines_sessions_and_the_count(olga_operator, workspace, store, sessions):
    r = olga_operator.get(url(workspace, store))
    assert r.status_code == 200
    body = r.content.decode()
    assert '<option value="reverie-offline" selected>' in body
    assert body.count('name="session_ids"') == 3
    assert "<strong>3</strong> sessions match this filter now." in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert f"/w/{workspace.id}/stores/{store.id}/dreams/new/count" in body and 'hx-trigger="change"' in body
    assert HOSTILE not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_it_starts_a_dream_over_ticked_sessions(olga_operator, workspace, store, sessions):
    picked = [sessions[0].id, sessions[2].id]
    r = olga_operator.post(url(workspace, store), form(mode="selected", session_ids=picked, instructions="Be brief.",
                                                       budget_tokens="5000"))
    dream = Dream.objects.get()
    assert r.status_code == 302
    assert r["Location"] == f"/w/{workspace.id}/stores/{store.id}/dreams/{dream.id}"
    assert dream.input_store_id == store.id and dream.status == "pending"
    assert dream.session_ids == sorted(picked) and dream.session_filter is None
    assert dream.instructions == "Be brief." and dream.budget_tokens == 5000
    assert dream.model_id == "reverie-offline" and dream.output_behavior == "create_new"
    assert dream.trigger == "console" and dream.created_by["type"] == "user_actor"


def test_it_starts_a_dream_over_a_filter(olga_operator, workspace, store, sessions, agents):
    after = (timezone.now() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    r = olga_operator.post(url(workspace, store), form(agent_ids=[agents[0].id], created_after=after,
                                                       output_behavior="update_existing"))
    assert r.status_code == 302
    dream = Dream.objects.get()
    assert dream.session_filter == {"agent_ids": [agents[0].id], "created_after": after + "Z", "max_sessions": 100}
    assert dream.session_ids == [] and dream.output_behavior == "update_existing"


def test_the_count_fragment_follows_the_filter(olga_operator, workspace, store, sessions, agents):
    r = olga_operator.get(url(workspace, store, "/count"), {"mode": "filter", "agent_ids": agents[0].id,
                                                            "max_sessions": "100"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    body = r.content.decode()
    assert body.strip().startswith('<p id="session-count"') and "<html" not in body
    assert "<strong>2</strong> sessions match" in body
    r = olga_operator.get(url(workspace, store, "/count"), {"mode": "filter", "max_sessions": "1"})
    assert "<strong>1</strong> session matches" in r.content.decode()
    r = olga_operator.get(url(workspace, store, "/count"), {"mode": "selected", "session_ids": [sessions[0].id]})
    assert "<strong>1</strong> session ticked" in r.content.decode()


def test_the_count_fragment_explains_a_bad_filter(olga_operator, workspace, store, sessions):
    r = olga_operator.get(url(workspace, store, "/count"), {"mode": "filter", "min_score": "2"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert b"must be a number from 0 to 1" in r.content
    r = olga_operator.get(url(workspace, store, "/count"), {"mode": "filter", "created_after": "2026-13-45T10:00"})
    assert r.status_code == 200
    assert b"not a real date and time" in r.content


def test_preview_counts_without_starting_anything(olga_operator, workspace, store, sessions):
    r = olga_operator.post(url(workspace, store), form(min_outcome="satisfied", preview="1"))
    assert r.status_code == 200
    assert b"<strong>0</strong> sessions match" in r.content
    assert '<option value="satisfied" selected>' in r.content.decode()
    assert not Dream.objects.exists()


@pytest.mark.parametrize("fields, message, status", [
    ({"budget_tokens": "lots"}, "Budget must be a number", 400),
    ({"budget_tokens": "0"}, "must be an integer from 1 to", 400),
    ({"model": "gpt-9"}, "cannot run on this server", 400),
    ({"min_score": "2"}, "must be a number from 0 to 1", 400),
    ({"max_sessions": "many"}, "Max sessions must be a number", 400),
    ({"created_after": "yesterday"}, "RFC 3339", 400),
    ({"output_behavior": "sideways"}, "create_new", 400),
    ({"mode": "selected"}, "Tick at least one session", 400),
    ({"mode": "selected", "session_ids": ["sesn_nope"]}, "not found", 404),
    ({"instructions": "x" * 4097}, "1 to 4096", 400),
    ({"budget_tokens": "9" * 30}, "Budget is too large", 400),
    ({"max_sessions": "9" * 30}, "Max sessions is too large", 400),
    ({"created_before": "2026-13-45T10:00"}, "not a real date and time", 400),
])
def test_it_refuses_bad_input_and_creates_nothing(olga_operator, workspace, store, sessions, fields, message, status):
    r = olga_operator.post(url(workspace, store), form(**fields))
    assert r.status_code == status
    assert message in r.content.decode()
    assert b'role="alert"' in r.content
    assert not Dream.objects.exists()


def test_it_refuses_a_second_in_place_dream(olga_operator, workspace, store, sessions):
    assert olga_operator.post(url(workspace, store), form(output_behavior="update_existing")).status_code == 302
    r = olga_operator.post(url(workspace, store), form(output_behavior="update_existing", instructions="again"))
    assert r.status_code == 409
    assert b"has not finished" in r.content
    assert Dream.objects.count() == 1
    assert b"again</textarea>" in r.content  # the form keeps what was typed


def test_it_forbids_viewers(vic_viewer, workspace, store, sessions):
    assert vic_viewer.get(url(workspace, store)).status_code == 403
    assert vic_viewer.get(url(workspace, store, "/count")).status_code == 403
    assert vic_viewer.post(url(workspace, store), form()).status_code == 403
    assert not Dream.objects.exists()


def test_it_hides_other_workspaces(olga_operator, workspace, foreign_store, other_workspace):
    assert olga_operator.get(url(other_workspace, foreign_store)).status_code == 404
    assert olga_operator.get(url(workspace, foreign_store)).status_code == 404
    assert olga_operator.post(url(workspace, foreign_store), form()).status_code == 404


def test_it_refuses_an_archived_store(olga_operator, workspace, store, sessions):
    from memory import stores

    stores.archive_store(store=store)
    r = olga_operator.post(url(workspace, store), form())
    assert r.status_code == 400
    assert b"archived" in r.content
    assert not Dream.objects.exists()


def test_a_store_without_sessions_can_still_dream(olga_operator, workspace, store, note):
    """No session matches: the dream starts anyway and works from the store alone, as through the API."""
    from dreams.models import Dream

    form = olga_operator.get(f"/w/{workspace.id}/stores/{store.id}/dreams/new")
    assert b"The dream will work from the store alone" in form.content
    r = olga_operator.post(f"/w/{workspace.id}/stores/{store.id}/dreams/new",
                           {"mode": "filter", "model": "reverie-offline", "output_behavior": "create_new",
                            "max_sessions": "100"})
    assert r.status_code == 302
    assert Dream.objects.get(input_store=store).session_filter == {"max_sessions": 100}


def test_it_offers_claude_models_only_when_a_key_is_configured(olga_operator, workspace, store, sessions,
                                                               monkeypatch, settings):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    settings.REVERIE_CLAUDE_MODELS = ["claude-sonnet-5-5"]
    assert 'value="claude-sonnet-5-5"' not in olga_operator.get(url(workspace, store)).content.decode()

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-key-for-the-form")
    body = olga_operator.get(url(workspace, store)).content.decode()
    assert 'value="claude-sonnet-5-5"' in body and 'value="reverie-offline"' in body
    assert "sk-test-key-for-the-form" not in body


def test_a_claude_model_posted_without_a_key_is_refused_on_the_form(olga_operator, workspace, store, sessions,
                                                                    monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    r = olga_operator.post(url(workspace, store), form(model="claude-sonnet-5-5"))
    assert r.status_code == 400
    assert b"ANTHROPIC_API_KEY" in r.content and b"reverie-offline" in r.content
    assert not Dream.objects.exists()
