"""The dream page while it runs: the polled progress fragment, how polling stops, and cancel."""

import pytest

from dreams import runner
from dreams.engines.base import Change
from dreams.models import Dream
from memory import stores
from tests.console.test_review import finished_dream, memories, page, scripted, sessions, start_dream  # noqa: F401


class ProbeEngine:
    """Proposes one memory, then calls `probe` while the dream is still running."""

    name = "console-probe"
    probe = None

    def run(self, *, base, sessions, instructions, context):
        for session in sessions:
            context.charge(read="x" * 400)
            context.progress(step="reading sessions", session_id=session.id, sessions_read=1)
        yield Change(operation="create", category="pattern", rationale="seen", path="/patterns/<b>probe</b>.md",
                     content="probe")
        ProbeEngine.probe()


@pytest.fixture
def probe(settings):
    settings.REVERIE_EXTRA_ENGINES = ["tests.console.test_dream_progress:ProbeEngine"]
    settings.REVERIE_DREAM_PROGRESS_SECONDS = 0  # record every step, so the page sees each one
    yield ProbeEngine.name
    ProbeEngine.probe = None


def progress(client, workspace, store, dream, **headers):
    return client.get(page(workspace, store, dream) + "/progress", **headers)


def test_a_pending_dream_polls_its_progress(olga_operator, workspace, store, memories, sessions, scripted):
    dream = start_dream(workspace, store, sessions, model=scripted)
    r = olga_operator.get(page(workspace, store, dream))
    assert r.status_code == 200
    body = r.content.decode()
    assert f'hx-get="{page(workspace, store, dream)}/progress" hx-trigger="every 1s"' in body
    assert "waiting for a worker" in body and "Cancel dream" in body
    r = progress(olga_operator, workspace, store, dream, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "HX-Refresh" not in r
    assert r.content.decode().lstrip().startswith('<section id="progress"') and b'hx-trigger="every 1s"' in r.content


def test_the_fragment_shows_what_a_running_dream_reads_writes_and_spends(olga_operator, workspace, store, memories,
                                                                         sessions, probe):
    dream = start_dream(workspace, store, sessions, model=probe)
    seen = {}

    def look():
        seen["fragment"] = progress(olga_operator, workspace, store, dream, HTTP_HX_REQUEST="true")

    ProbeEngine.probe = look
    assert runner.run_dream(dream.id) == "completed"

    r = seen["fragment"]
    assert r.status_code == 200 and "HX-Refresh" not in r
    body = r.content.decode()
    assert 'badge status-running' in body and 'hx-trigger="every 1s"' in body
    assert "<span class=\"num\">200</span> input" in body  # two sessions of 400 characters, 4 per token
    assert f"read session {sessions[1].id}" in body
    assert "wrote /patterns/&lt;b&gt;probe&lt;/b&gt;.md (create, pattern)" in body
    assert "<b>probe" not in body


def test_polling_stops_and_the_page_reloads_once_the_dream_ends(olga_operator, workspace, store, memories, sessions,
                                                                  scripted):
    dream = finished_dream(workspace, store, sessions, model=scripted)
    r = progress(olga_operator, workspace, store, dream, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert r["HX-Refresh"] == "true"
    assert b"hx-trigger" not in r.content and b"badge status-completed" in r.content
    page_body = olga_operator.get(page(workspace, store, dream)).content.decode()
    assert "every 1s" not in page_body and 'id="review"' in page_body
    # Without htmx the fragment URL sends the reader to the page.
    r = progress(olga_operator, workspace, store, dream)
    assert r.status_code == 302 and r["Location"] == page(workspace, store, dream)


def test_a_failed_dream_says_why(olga_operator, workspace, store, memories, sessions, scripted):
    dream = start_dream(workspace, store, sessions, model=scripted, budget_tokens=3)
    assert runner.run_dream(dream.id) == "failed"
    body = olga_operator.get(page(workspace, store, dream)).content.decode()
    assert "budget_exceeded" in body and "over its budget of 3" in body


def test_an_operator_cancels_a_pending_dream(olga_operator, workspace, store, memories, sessions, scripted):
    dream = start_dream(workspace, store, sessions, model=scripted)
    r = olga_operator.post(page(workspace, store, dream) + "/cancel")
    assert r.status_code == 302
    assert Dream.objects.get(pk=dream.pk).status == "canceled"
    assert runner.run_dream(dream.id) == "not pending"
    body = olga_operator.get(r["Location"]).content.decode()
    assert f"Dream {dream.id} is canceled." in body and "every 1s" not in body


def test_an_operator_cancels_a_running_dream(olga_operator, workspace, store, memories, sessions, probe):
    dream = start_dream(workspace, store, sessions, model=probe)
    ProbeEngine.probe = lambda: olga_operator.post(page(workspace, store, dream) + "/cancel")
    runner.run_dream(dream.id)
    assert Dream.objects.get(pk=dream.pk).status == "canceled"


def test_cancel_refuses_a_finished_dream(olga_operator, workspace, store, memories, sessions, scripted):
    dream = finished_dream(workspace, store, sessions, model=scripted)
    r = olga_operator.post(page(workspace, store, dream) + "/cancel")
    assert r.status_code == 400
    assert b"already completed and cannot be canceled" in r.content
    assert Dream.objects.get(pk=dream.pk).status == "completed"


def test_viewers_watch_but_cannot_cancel(vic_viewer, workspace, store, memories, sessions, scripted):
    dream = start_dream(workspace, store, sessions, model=scripted)
    r = vic_viewer.get(page(workspace, store, dream))
    assert r.status_code == 200 and b"Cancel dream" not in r.content
    assert progress(vic_viewer, workspace, store, dream, HTTP_HX_REQUEST="true").status_code == 200
    assert vic_viewer.post(page(workspace, store, dream) + "/cancel").status_code == 403
    assert Dream.objects.get(pk=dream.pk).status == "pending"


def test_a_dream_of_another_store_is_not_found_here(olga_operator, workspace, store, memories, sessions, scripted):
    other = stores.create_store(workspace=workspace, name="other")
    dream = start_dream(workspace, other, sessions, model=scripted)
    assert olga_operator.get(page(workspace, store, dream)).status_code == 404
    assert progress(olga_operator, workspace, store, dream, HTTP_HX_REQUEST="true").status_code == 404
    assert olga_operator.post(page(workspace, store, dream) + "/cancel").status_code == 404
    assert Dream.objects.get(pk=dream.pk).status == "pending"
    assert olga_operator.get(f"/w/{workspace.id}/stores/{store.id}/dreams/drm_nope").status_code == 404
