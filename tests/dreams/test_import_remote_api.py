"""`manage.py import_sessions --from-api URL --api-key KEY`: pull sessions through the SDK.

A session id is unique across one Reverie, so a pull from another workspace of the same
Reverie (the live server) can only meet its own sessions; the import proper is tested
against a second Reverie, started as its own process with its own database.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import anthropic
import httpx2
import pytest

from dreams.models import Session, SessionEvent
from memory.models import Agent
from tests.dreams.factories import export_via_api, run, run_failing, text_event

ROOT = Path(__file__).resolve().parent.parent.parent


def _seed(client, agent_id, *, title, events=(), **options):
    session = client.beta.sessions.create(agent=agent_id, environment_id="env_remote", title=title, **options)
    for start in range(0, len(events), 100):
        client.beta.sessions.events.send(session.id, events=list(events[start:start + 100]))
    return session.id


# --- against the live server: the same Reverie ---------------------------------------------------------


def test_it_refuses_sessions_whose_ids_another_workspace_of_this_reverie_holds(live_server, outsider, workspace):
    agent = outsider.post("/v1/agents", body={"name": "theirs"}, cast_to=object)
    _seed(outsider, agent["id"], title="one", events=[text_event()])
    _seed(outsider, agent["id"], title="two")
    secret = outsider.api_key

    out, err, message = run_failing("import_sessions", "--from-api", live_server.url, "--api-key", secret,
                                    "--workspace", workspace.name)

    assert "0 imported, 0 unchanged, 0 updated, 2 failed" in out
    assert "already exists in another workspace" in err
    assert not Session.objects.filter(workspace=workspace).exists()
    assert not Agent.objects.filter(workspace=workspace).exists()


def test_it_finds_nothing_new_pulling_a_workspace_into_itself(live_server, outsider, other_workspace):
    agent = outsider.post("/v1/agents", body={"name": "theirs"}, cast_to=object)
    long_one = _seed(outsider, agent["id"], title="long", events=[text_event(text=f"e{i}") for i in range(230)])
    _seed(outsider, agent["id"], title="graded", extra_body={"outcome_score": 0.5},
          events=[{"type": "span.outcome_evaluation_end", "outcome_id": "outc_1", "result": "satisfied"}])
    archived = _seed(outsider, agent["id"], title="old")
    outsider.beta.sessions.archive(archived)
    before = {s.id: s.updated_at for s in Session.objects.all()}

    out, _ = run("import_sessions", "--from-api", live_server.url, "--api-key", outsider.api_key,
                 "--workspace", other_workspace.name)

    assert "0 imported, 3 unchanged, 0 updated, 0 failed" in out
    assert {s.id: s.updated_at for s in Session.objects.all()} == before
    assert SessionEvent.objects.filter(session_id=long_one).count() == 230


def test_it_fails_clearly_with_a_wrong_key(live_server, workspace):
    out, err, message = run_failing("import_sessions", "--from-api", live_server.url, "--api-key", "rvk_wrong",
                                    "--workspace", workspace.name)

    assert f"FAILED {live_server.url}: cannot list sessions: 401" in err
    assert "1 failed" in out


def test_it_fails_clearly_when_nothing_answers(workspace):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    _, err, _ = run_failing("import_sessions", "--from-api", f"http://127.0.0.1:{port}", "--api-key", "rvk_x",
                            "--workspace", workspace.name)

    assert "cannot list sessions: Connection error" in err


def test_it_needs_a_key_with_from_api(transactional_db):
    _, _, message = run_failing("import_sessions", "--from-api", "http://127.0.0.1:1")

    assert "--from-api needs --api-key" in message


# --- against another Reverie ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def other_reverie(tmp_path_factory):
    """A second Reverie (own SQLite database, own process) with an admin key of its workspace "remote"."""
    home = tmp_path_factory.mktemp("other-reverie")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REVERIE_SQLITE_PATH")}
    env["REVERIE_HOME"] = str(home)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True, timeout=300)
    created = subprocess.run([*manage, "create_api_key", "importer", "--workspace", "remote"], env=env, cwd=ROOT,
                             check=True, timeout=120, capture_output=True, text=True)
    secret = created.stdout.strip().splitlines()[-1]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (home / "server.log").open("w")
    server = subprocess.Popen([*manage, "runserver", f"127.0.0.1:{port}", "--noreload"], env=env, cwd=ROOT,
                              stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx2.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the second Reverie did not start: {(home / 'server.log').read_text()[-2000:]}")
            time.sleep(0.2)
        client = anthropic.Anthropic(base_url=url, api_key=secret, max_retries=0)
        yield SimpleNamespace(url=url, secret=secret, client=client)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def test_it_imports_every_session_of_another_reverie_and_then_only_what_is_new(other_reverie, workspace, admin):
    remote = other_reverie.client
    edge = remote.post("/v1/agents", body={"name": "sre-edge"}, cast_to=object)["id"]
    payments = remote.post("/v1/agents", body={"name": "sre-payments"}, cast_to=object)["id"]
    long_one = _seed(remote, edge, title="Flapping health checks", metadata={"fleet": "remote"},
                     extra_body={"outcome_score": 0.8},
                     events=[text_event(text=f"step {i}") for i in range(150)]
                     + [{"type": "span.outcome_evaluation_end", "outcome_id": "outc_1", "result": "satisfied",
                         "explanation": "Fixed.", "iteration": 0},
                        {"type": "vendor.custom_marker", "note": "kept as it came"}])
    graded = _seed(remote, payments, title="Refund stuck",
                   events=[text_event(), {"type": "span.outcome_evaluation_end", "outcome_id": "outc_2",
                                          "result": "failed", "explanation": "No access.", "iteration": 0}])
    archived = _seed(remote, payments, title="Old one", events=[text_event()])
    remote.beta.sessions.archive(archived)

    out, _ = run("import_sessions", "--from-api", other_reverie.url, "--api-key", other_reverie.secret,
                 "--workspace", workspace.name)

    assert "3 imported, 0 unchanged, 0 updated, 0 failed" in out
    assert set(Session.objects.filter(workspace=workspace).values_list("id", flat=True)) == {long_one, graded, archived}
    assert set(Agent.objects.filter(workspace=workspace).values_list("name", flat=True)) == {"sre-edge", "sre-payments"}
    for session_id in (long_one, graded, archived):
        theirs, ours = export_via_api(remote, session_id), export_via_api(admin, session_id)
        assert ours["events"] == theirs["events"]
        for field in ("title", "metadata", "status", "environment_id", "created_at", "updated_at", "archived_at",
                      "outcome", "event_count", "outcome_evaluations"):
            assert ours["session"][field] == theirs["session"][field], field
        assert ours["session"]["agent"]["name"] == theirs["session"]["agent"]["name"]
    assert Session.objects.get(pk=long_one).outcome_score == 0.8
    assert Session.objects.get(pk=graded).outcome_result == "failed"
    assert Session.objects.get(pk=archived).archived_at is not None

    out, _ = run("import_sessions", "--from-api", other_reverie.url, "--api-key", other_reverie.secret,
                 "--workspace", workspace.name)
    assert "0 imported, 3 unchanged, 0 updated, 0 failed" in out

    remote.beta.sessions.events.send(graded, events=[text_event("agent.message", text="Retried with access.")])
    before = SessionEvent.objects.count()
    out, _ = run("import_sessions", "--from-api", other_reverie.url, "--api-key", other_reverie.secret,
                 "--workspace", workspace.name)
    assert "0 imported, 2 unchanged, 1 updated, 0 failed" in out
    assert SessionEvent.objects.count() == before + 1
    assert export_via_api(admin, graded)["events"] == export_via_api(remote, graded)["events"]
