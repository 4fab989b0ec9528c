"""`manage.py import_sessions PATH…` with session export files ({"session", "events"})."""

import json
import shutil

import pytest
from django.core.management import CommandError
from django.utils.dateparse import parse_datetime

from dreams.models import Session, SessionEvent
from memory.models import Agent
from tests.dreams.factories import FLEET, export_via_api, fleet_file, fleet_ids, make_session, run, run_failing


def _copy_fleet(tmp_path, count=None):
    target = tmp_path / "fleet"
    target.mkdir()
    for session_id in fleet_ids()[:count]:
        shutil.copy(FLEET / f"{session_id}.json", target)
    return target


def _write(path, data):
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _export(session_id="sesn_fixture_1", events=None, **session):
    body = {"type": "session", "id": session_id, "title": "Fixture", "environment_id": "env_fixture",
            "agent": {"type": "agent", "id": "agent_remote", "name": "fixture-agent", "version": 2},
            "status": "idle", "metadata": {"k": "v"}, "created_at": "2026-02-01T10:00:00Z",
            "updated_at": "2026-02-01T10:05:00Z", "archived_at": None, **session}
    if events is None:
        events = [{"type": "user.message", "id": "sevt_1", "processed_at": "2026-02-01T10:00:00Z",
                   "content": [{"type": "text", "text": "hi"}]},
                  {"type": "agent.message", "id": "sevt_2", "processed_at": "2026-02-01T10:01:00Z",
                   "content": [{"type": "text", "text": "hello"}]}]
    return {"session": body, "events": events}


def test_it_imports_the_sample_fleet_as_it_is(workspace):
    out, _ = run("import_sessions", str(FLEET), "--workspace", workspace.name)

    assert "40 imported, 0 unchanged, 0 updated, 0 failed" in out
    assert Session.objects.filter(workspace=workspace).count() == 40
    assert set(Agent.objects.filter(workspace=workspace).values_list("name", flat=True)) == {
        "sre-edge", "sre-payments", "sre-search"}
    for session_id in fleet_ids():
        expected = fleet_file(session_id)
        session = Session.objects.select_related("agent").get(pk=session_id)
        assert session.workspace_id == workspace.id
        assert session.agent.name == expected["session"]["agent"]["name"]
        assert session.title == expected["session"]["title"]
        assert session.metadata == expected["session"]["metadata"]
        assert session.created_at == parse_datetime(expected["session"]["created_at"])
        assert session.updated_at == parse_datetime(expected["session"]["updated_at"])
        stored = list(SessionEvent.objects.filter(session=session).order_by("seq").values_list("payload", flat=True))
        assert stored == expected["events"]
        results = [e["result"] for e in expected["events"] if e["type"] == "span.outcome_evaluation_end"]
        assert session.outcome_result == results[-1]
        assert session.event_count == len(expected["events"])


def test_it_changes_nothing_when_importing_the_same_files_again(workspace):
    run("import_sessions", str(FLEET), "--workspace", workspace.name)
    before = {s.id: (s.updated_at, s.event_count) for s in Session.objects.all()}
    events_before = SessionEvent.objects.count()

    out, _ = run("import_sessions", str(FLEET), "--workspace", workspace.name)

    assert "0 imported, 40 unchanged, 0 updated, 0 failed" in out
    assert SessionEvent.objects.count() == events_before
    assert {s.id: (s.updated_at, s.event_count) for s in Session.objects.all()} == before


def test_it_appends_only_the_new_events_of_a_session_it_has(workspace, tmp_path):
    session_id = fleet_ids()[0]
    data = fleet_file(session_id)
    path = _write(tmp_path / "one.json", data)
    run("import_sessions", str(path), "--workspace", workspace.name)
    first_seqs = list(SessionEvent.objects.filter(session_id=session_id).order_by("seq").values_list("seq", flat=True))
    data["events"].append({"type": "user.message", "id": "sevt_later", "processed_at": "2026-12-01T00:00:00Z",
                           "content": [{"type": "text", "text": "one more thing"}]})
    data["session"]["title"] = "Renamed at the source"
    _write(path, data)

    out, _ = run("import_sessions", str(path), "--workspace", workspace.name)

    assert "0 imported, 0 unchanged, 1 updated, 0 failed" in out
    rows = list(SessionEvent.objects.filter(session_id=session_id).order_by("seq"))
    assert [r.seq for r in rows[:-1]] == first_seqs
    assert [r.payload for r in rows] == data["events"]
    session = Session.objects.get(pk=session_id)
    assert session.title == "Renamed at the source"
    assert session.event_count == len(data["events"])


def test_it_does_not_undo_an_archive_or_a_grade_made_here(workspace, tmp_path):
    from dreams import sessions

    path = _write(tmp_path / "s.json", _export())
    run("import_sessions", str(path), "--workspace", workspace.name)
    here = Session.objects.get(pk="sesn_fixture_1")
    sessions.update_session(session=here, outcome_score=0.3)
    sessions.archive_session(session=here)

    out, _ = run("import_sessions", str(path), "--workspace", workspace.name)

    assert "1 unchanged" in out
    here.refresh_from_db()
    assert here.archived_at is not None and here.outcome_score == 0.3
    _write(path, _export(outcome_score=0.9))
    run("import_sessions", str(path), "--workspace", workspace.name)
    assert Session.objects.get(pk="sesn_fixture_1").outcome_score == 0.9


def test_it_reads_arrays_of_exports_and_export_lines(workspace, tmp_path):
    a, b, c = (fleet_file(i) for i in fleet_ids()[:3])
    _write(tmp_path / "two.json", [a, b])
    (tmp_path / "lines.jsonl").write_text(json.dumps(c) + "\n\n", encoding="utf-8")

    out, _ = run("import_sessions", str(tmp_path), "--workspace", workspace.name)

    assert "3 imported" in out
    assert set(Session.objects.values_list("id", flat=True)) == {x["session"]["id"] for x in (a, b, c)}


def test_it_round_trips_through_the_api(admin, workspace, tmp_path):
    session_id = fleet_ids()[0]
    run("import_sessions", str(FLEET / f"{session_id}.json"), "--workspace", workspace.name)

    exported = export_via_api(admin, session_id)
    original = fleet_file(session_id)
    assert exported["events"] == original["events"]
    for field in ("id", "title", "metadata", "status", "environment_id", "archived_at"):
        assert exported["session"][field] == original["session"][field]
    for field in ("created_at", "updated_at"):
        assert parse_datetime(exported["session"][field]) == parse_datetime(original["session"][field])
    assert exported["session"]["agent"]["name"] == original["session"]["agent"]["name"]

    # What the API gives back imports as the same session: unchanged here, whole elsewhere.
    out, _ = run("import_sessions", str(_write(tmp_path / "export.json", exported)), "--workspace", workspace.name)
    assert "1 unchanged" in out
    Session.objects.filter(pk=session_id).delete()
    out, _ = run("import_sessions", str(tmp_path / "export.json"), "--workspace", workspace.name)
    assert "1 imported" in out
    assert export_via_api(admin, session_id) == exported


def test_it_keeps_unknown_session_fields_and_the_outcome_score(admin, workspace, tmp_path):
    data = _export(usage={"input_tokens": 900, "output_tokens": 40}, vault_ids=["vlt_1"], x_team="sre",
                   outcome={"result": "satisfied", "score": 0.65})
    run("import_sessions", str(_write(tmp_path / "s.json", data)), "--workspace", workspace.name)

    session = admin.beta.sessions.retrieve("sesn_fixture_1")

    assert session.usage.input_tokens == 900
    assert session.vault_ids == ["vlt_1"]
    assert session.model_extra["x_team"] == "sre"
    assert session.model_extra["outcome"]["score"] == 0.65
    assert session.agent.version == 2
    assert session.agent.name == "fixture-agent"
    assert session.agent.id != "agent_remote"  # filed under the local agent of that name


def test_it_files_sessions_under_an_existing_agent_of_the_same_name(workspace, tmp_path):
    from memory import identity

    existing = identity.create_agent(workspace=workspace, name="fixture-agent")

    run("import_sessions", str(_write(tmp_path / "s.json", _export())), "--workspace", workspace.name)

    assert Session.objects.get(pk="sesn_fixture_1").agent_id == existing.id
    assert Agent.objects.filter(workspace=workspace).count() == 1


def test_it_names_the_agent_given_with_agent(workspace, tmp_path):
    run("import_sessions", str(_write(tmp_path / "s.json", _export())), "--workspace", workspace.name,
        "--agent", "renamed")

    assert Session.objects.get(pk="sesn_fixture_1").agent.name == "renamed"


def test_it_gives_events_without_an_id_one_that_is_stable_across_imports(workspace, tmp_path):
    data = _export(events=[{"type": "user.message", "content": [{"type": "text", "text": "no id"}],
                            "processed_at": "2026-02-01T10:00:00Z"}])
    path = _write(tmp_path / "s.json", data)

    run("import_sessions", str(path), "--workspace", workspace.name)
    out, _ = run("import_sessions", str(path), "--workspace", workspace.name)

    assert "1 unchanged" in out
    [event] = SessionEvent.objects.filter(session_id="sesn_fixture_1")
    assert event.id.startswith("sevt_")


@pytest.mark.parametrize(
    "content, words",
    [
        ("{not json", "invalid JSON"),
        ('"just a string"', 'expected an object {"session"'),
        (json.dumps({"session": {"id": "sesn_x"}}), 'expected an object {"session": {...}, "events": [...]}'),
        (json.dumps({"session": {"id": "session-1", "agent": {"name": "a"}, "environment_id": "e"}, "events": []}),
         "`session.id` must be a session id"),
        (json.dumps(_export(events=[{"type": "user.message", "id": "sevt_1"}, {"id": "sevt_2", "content": []}])),
         "`events[1].type` is required"),
        (json.dumps(_export(agent={"type": "agent", "id": "agent_x"})), "`session.agent.name` is required"),
        (json.dumps(_export(status="sleeping")), "`status` must be one of"),
        (json.dumps(_export(created_at="last tuesday")), "`session.created_at` must be an RFC 3339"),
        (json.dumps(_export(metadata={"k": 1})), "value of 'k' must be a string"),
        (json.dumps(_export(title="t" * 600)), "`title` must be at most 512"),
        (json.dumps(_export(outcome_score=7)), "`outcome_score` must be a number from 0 to 1"),
        (json.dumps(_export()).replace('"hi"', '"NaN-bearing", "n": NaN'), "NaN is not a JSON value"),
    ],
)
def test_it_reports_a_bad_file_by_name_and_imports_nothing_of_it(workspace, tmp_path, content, words):
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")

    with pytest.raises(CommandError, match="1 session source"):
        run("import_sessions", str(bad), "--workspace", workspace.name)

    assert not Session.objects.exists()
    assert not SessionEvent.objects.exists()
    assert not Agent.objects.exists()


def test_it_names_the_file_and_the_problem(workspace, tmp_path):
    bad = _write(tmp_path / "bad.json", _export(events=[{"type": "user.message"}, {"content": []}]))

    out, err, message = run_failing("import_sessions", str(bad), "--workspace", workspace.name)

    assert f"FAILED {bad}: `events[1].type` is required and must be a string" in err
    assert "0 imported, 0 unchanged, 0 updated, 1 failed" in out
    assert "1 session source(s) failed to import" in message


def test_it_imports_the_good_sessions_beside_a_bad_one(workspace, tmp_path):
    good = _export("sesn_good")
    half = _export("sesn_half", events=_export()["events"] + [{"id": "sevt_3"}])
    path = _write(tmp_path / "mixed.json", [good, half, "not an export"])
    (tmp_path / "latin1.json").write_bytes('{"session": "caf\xe9"}'.encode("latin-1"))

    _, err, message = run_failing("import_sessions", str(tmp_path), "--workspace", workspace.name)

    assert "3 session source(s) failed" in message
    assert f"{path}[1]: `events[2].type` is required" in err
    assert f"{path}[2]: expected an object" in err

    assert list(Session.objects.values_list("id", flat=True)) == ["sesn_good"]
    assert SessionEvent.objects.count() == 2
    assert not SessionEvent.objects.filter(session_id="sesn_half").exists()
    assert path.exists()


def test_it_reports_counts_and_each_failure(workspace, tmp_path):
    _write(tmp_path / "a.json", _export("sesn_a"))
    _write(tmp_path / "b.json", _export("sesn_b", events=[{"id": "x"}]))
    (tmp_path / "c.json").write_bytes(b"\xff\xfe not utf-8")

    out, err, message = run_failing("import_sessions", str(tmp_path), "--workspace", workspace.name)

    assert "1 imported, 0 unchanged, 0 updated, 2 failed" in out
    assert f"FAILED {tmp_path / 'b.json'}: `events[0].type` is required" in err
    assert f"FAILED {tmp_path / 'c.json'}: not UTF-8 text" in err
    assert "2 session source(s) failed" in message


def test_it_refuses_a_session_id_another_workspace_holds(workspace, other_workspace, tmp_path):
    from memory import identity

    theirs = make_session(other_workspace, identity.create_agent(workspace=other_workspace, name="theirs"),
                          session_id="sesn_fixture_1", title="theirs")

    with pytest.raises(CommandError):
        run("import_sessions", str(_write(tmp_path / "s.json", _export())), "--workspace", workspace.name)

    theirs.refresh_from_db()
    assert theirs.workspace_id == other_workspace.id and theirs.title == "theirs"
    assert theirs.event_count == 0
    assert not Agent.objects.filter(workspace=workspace).exists()


def test_it_refuses_to_move_a_session_to_another_agent(workspace, tmp_path):
    path = _write(tmp_path / "s.json", _export())
    run("import_sessions", str(path), "--workspace", workspace.name)

    with pytest.raises(CommandError):
        run("import_sessions", str(path), "--workspace", workspace.name, "--agent", "someone-else")

    assert Session.objects.get(pk="sesn_fixture_1").agent.name == "fixture-agent"


def test_it_fails_for_a_path_that_does_not_exist(workspace, tmp_path):
    with pytest.raises(CommandError):
        run("import_sessions", str(tmp_path / "missing.json"), "--workspace", workspace.name)


def test_it_needs_something_to_import(transactional_db):
    with pytest.raises(CommandError, match="Name files or directories"):
        run("import_sessions")
