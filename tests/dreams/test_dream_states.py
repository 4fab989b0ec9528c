"""The dream state machine (dreams/states.py) and the one-way pipeline around it."""

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from dreams import lifecycle, states
from dreams.models import Dream, DreamStatus
from memory.access import Principal

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = ["lifecycle", "runner", "tasks", "triggers", "sessions", "states", "review"]


@pytest.fixture
def dream(workspace, store):
    return lifecycle.start_dream(principal=Principal(workspace=workspace, user_id="user_test"), store_id=store.id,
                                 model_id="reverie-offline", session_filter=lifecycle.SessionFilter())


def status(dream):
    return Dream.objects.values_list("status", flat=True).get(pk=dream.pk)


def test_it_claims_a_pending_dream_once(dream):
    states.claim(dream.id)
    assert status(dream) == DreamStatus.RUNNING
    with pytest.raises(states.IllegalTransition, match="already running"):
        states.claim(dream.id)


def test_it_finishes_only_a_running_dream(dream):
    with pytest.raises(states.IllegalTransition, match="already pending"):
        states.finish(dream.id, status=DreamStatus.COMPLETED)
    states.claim(dream.id)
    states.finish(dream.id, status=DreamStatus.FAILED, error={"type": "model_overloaded", "message": "busy"})
    row = Dream.objects.get(pk=dream.pk)
    assert row.status == DreamStatus.FAILED and row.error["type"] == "model_overloaded" and row.ended_at


def test_a_finish_after_a_cancel_leaves_it_canceled(dream):
    states.claim(dream.id)
    states.cancel(dream)
    with pytest.raises(states.IllegalTransition, match="already canceled"):
        states.finish(dream.id, status=DreamStatus.COMPLETED)
    assert status(dream) == DreamStatus.CANCELED


def test_cancel_is_idempotent_but_refuses_a_finished_dream(dream):
    assert states.cancel(dream).status == DreamStatus.CANCELED
    assert states.cancel(dream).status == DreamStatus.CANCELED
    other = lifecycle.rerun_dream(principal=Principal(workspace=dream.workspace, user_id="u"), dream=dream)
    states.claim(other.id)
    states.finish(other.id, status=DreamStatus.COMPLETED)
    with pytest.raises(states.IllegalTransition, match="already completed"):
        states.cancel(other)


def test_a_finish_must_name_a_terminal_status(dream):
    states.claim(dream.id)
    with pytest.raises(ValueError):
        states.finish(dream.id, status=DreamStatus.CANCELED)


def test_reap_fails_a_silent_running_dream(dream, settings):
    states.claim(dream.id)
    Dream.objects.filter(pk=dream.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=settings.REVERIE_DREAM_HEARTBEAT_TIMEOUT + 5))
    assert states.reap_lost()["failed"] == 1
    row = Dream.objects.get(pk=dream.pk)
    assert row.status == DreamStatus.FAILED and row.error["type"] == "worker_lost"
    # A reaped dream stays failed when its lost worker comes back and tries to finish.
    with pytest.raises(states.IllegalTransition):
        states.finish(dream.id, status=DreamStatus.COMPLETED)


def test_the_engine_is_a_column_of_the_dream(dream):
    assert Dream.objects.get(pk=dream.pk).engine == "reverie-offline"
    assert "engine" not in Dream.objects.get(pk=dream.pk).progress


def _module_imports(name: str) -> set[str]:
    """The pipeline modules `dreams/<name>.py` imports at module level (not inside functions)."""
    tree = ast.parse((ROOT / "dreams" / f"{name}.py").read_text())
    found = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "dreams":
                found |= {alias.name for alias in node.names}
            elif node.module.startswith("dreams."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {alias.name.split(".")[1] for alias in node.names if alias.name.startswith("dreams.")}
    return found & set(PIPELINE)


def test_the_pipeline_has_no_import_cycle_and_tasks_import_the_domain_lazily():
    graph = {name: _module_imports(name) for name in PIPELINE}
    assert graph["tasks"] == set()  # thin wrappers: the domain is imported inside each task body

    def visit(node, path):
        assert node not in path, f"import cycle: {' → '.join([*path, node])}"
        for nxt in graph[node]:
            visit(nxt, [*path, node])

    for name in PIPELINE:
        visit(name, [])
