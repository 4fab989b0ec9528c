"""`manage.py import_sessions` with OpenHands event logs (a JSON array, {"trajectory": [...]}, or JSON lines)."""

import json
import shutil

import pytest

from dreams.models import Session, SessionEvent
from memory.models import Agent, Role
from tests.console.conftest import _client, _user
from tests.dreams.factories import CLAUDE_CODE, DATA, FLEET, fleet_ids, run, run_failing

OPENHANDS = DATA / "openhands"
BILLING = OPENHANDS / "0c5e7a9b1d3f4e6a8b0c2d4e6f8a0b1c.json"
README = OPENHANDS / "trajectory-readme-lines.json"
DISK = OPENHANDS / "disk-check.jsonl"
BILLING_ID = "sesn_oh_0c5e7a9b1d3f4e6a8b0c2d4e6f8a0b1c"  # named after the conversation id in the file name


def _events(session_id):
    return [e.payload for e in SessionEvent.objects.filter(session_id=session_id).order_by("seq")]


def _only_session(**filters):
    return Session.objects.select_related("agent").get(**filters)


def test_it_maps_an_event_log_to_session_events(workspace):
    _, err = run("import_sessions", str(BILLING), "--workspace", workspace.name, "--format", "openhands")

    session = Session.objects.select_related("agent").get(pk=BILLING_ID)
    assert session.agent.name == "openhands"
    assert session.title == "Make the billing export script handle empty months."
    assert session.environment_id == "openhands"
    assert session.agent_snapshot == {"model": {"id": "claude-sonnet-4-5"}}
    assert session.metadata == {
        "source": "openhands", "openhands_conversation": "0c5e7a9b1d3f4e6a8b0c2d4e6f8a0b1c", "file": BILLING.name,
        "agent_class": "CodeActAgent", "openhands_version": "0.59.0", "task_completed": "partial",
        "final_agent_state": "finished"}
    assert session.extra["usage"] == {"input_tokens": 9100, "output_tokens": 640, "cache_read_input_tokens": 7000}
    events = _events(BILLING_ID)
    # The system prompt, the recall and its observation, and unknown types are not events.
    assert [e["type"] for e in events] == [
        "user.message", "session.status_running",
        "agent.message", "agent.tool_use", "agent.tool_result",  # the thought, then the failing command
        "agent.tool_use", "agent.tool_result",  # think
        "agent.tool_use", "agent.tool_result",  # an edit answered by an error observation
        "agent.tool_use", "user.tool_confirmation", "agent.tool_result",  # rejected by the user
        "agent.tool_use", "agent.tool_result",  # browse with a browser error
        "agent.thread_context_compacted", "session.error", "agent.message", "session.status_idle", "user.interrupt",
    ]
    (prompt, _, thought, run_, run_out, think, think_out, edit, edit_out, push, denial, push_out, browse, browse_out,
     _, error, final, idle, _) = events
    assert prompt["id"] == "sevt_oh_2" and prompt["processed_at"] == "2026-02-10T14:00:01.000000"
    assert prompt["content"] == [{"type": "text", "text": session.title}, {"type": "text", "text": "[image omitted]"}]
    assert thought["content"] == [{"type": "text", "text": "Let me reproduce it first."}]
    assert (run_["id"], run_["name"]) == ("sevt_oh_6", "execute_bash")
    assert run_["input"]["command"] == "python export.py --month 2026-01"
    assert run_out == {"type": "agent.tool_result", "id": "sevt_oh_7", "processed_at": "2026-02-10T14:00:03.000000",
                       "tool_use_id": "sevt_oh_6", "is_error": True,
                       "content": [{"type": "text", "text": "ZeroDivisionError: division by zero"}]}
    assert think["name"] == "think" and think_out["is_error"] is False
    assert edit["name"] == "str_replace_editor" and edit["input"]["old_str"] == "avg = total / len(rows)"
    assert (edit_out["tool_use_id"], edit_out["is_error"]) == (edit["id"], True)
    assert denial["tool_use_id"] == push["id"] and denial["result"] == "deny"
    assert denial["deny_message"].startswith("Action has been rejected by the user")
    assert (push_out["tool_use_id"], push_out["is_error"]) == (push["id"], True)
    assert browse["name"] == "BrowseURLAction" and browse["input"]["url"] == "http://localhost:9000/report"
    assert (browse_out["tool_use_id"], browse_out["is_error"]) == (browse["id"], True)
    assert error["error"]["message"] == "Agent got stuck in a loop"
    assert final["content"][0]["text"].startswith("Guarded the division")
    assert idle["stop_reason"] == {"type": "finished"}
    assert not any("You are OpenHands agent" in json.dumps(e) for e in events)
    assert f"{BILLING}[16]: skipped: unknown action type 'teleport'" in err
    assert f"{BILLING}[17]: skipped: unknown observation type 'hologram'" in err


def test_it_reads_the_trajectory_api_shape_without_tool_metadata(workspace):
    run("import_sessions", str(README), "--workspace", workspace.name, "--format", "openhands")

    session = _only_session(title="Count the lines in README.md")
    assert session.id.startswith("sesn_oh_")
    prompt, shell, shell_out, cell, cell_out, answer = _events(session.id)
    assert [prompt["type"], answer["type"]] == ["user.message", "agent.message"]
    assert (shell["name"], shell["input"]) == ("CmdRunAction", {"command": "wc -l README.md"})
    assert (shell_out["tool_use_id"], shell_out["is_error"]) == (shell["id"], False)  # the old top-level exit_code
    assert cell["name"] == "IPythonRunCellAction" and "code" in cell["input"]
    assert cell_out["tool_use_id"] == cell["id"]


def test_it_reads_json_lines_of_events(workspace):
    run("import_sessions", str(DISK), "--workspace", workspace.name)

    session = _only_session(title="Is the disk full?")
    assert [e["type"] for e in _events(session.id)] == [
        "user.message", "agent.message", "agent.tool_use", "agent.tool_result", "agent.message"]


def test_it_imports_an_event_log_again_without_change(workspace):
    run("import_sessions", str(OPENHANDS), "--workspace", workspace.name)
    ids = {s.id: [e["id"] for e in _events(s.id)] for s in Session.objects.all()}

    out, _ = run("import_sessions", str(OPENHANDS), "--workspace", workspace.name)

    assert "0 imported, 3 unchanged, 0 updated, 0 failed" in out
    assert {s.id: [e["id"] for e in _events(s.id)] for s in Session.objects.all()} == ids


def test_it_keeps_the_session_id_of_a_log_that_grew(workspace, tmp_path):
    path = tmp_path / "grown.jsonl"
    shutil.copy(DISK, path)
    run("import_sessions", str(path), "--workspace", workspace.name)
    (session_id,) = Session.objects.values_list("id", flat=True)
    more = {"id": 4, "timestamp": "2026-01-20T08:01:00", "source": "user", "message": "Thanks",
            "action": "message", "args": {"content": "Thanks"}}
    with path.open("a") as handle:
        handle.write(json.dumps(more) + "\n")

    out, _ = run("import_sessions", str(path), "--workspace", workspace.name)

    assert "1 updated" in out
    assert _events(session_id)[-1]["content"] == [{"type": "text", "text": "Thanks"}]


@pytest.mark.parametrize("case", ["not_json", "wrong_shape", "wrong_types", "truncated"])
def test_it_fails_a_bad_file_whole_and_imports_the_others(workspace, tmp_path, case):
    shutil.copy(README, tmp_path / README.name)
    lines = DISK.read_text().splitlines()
    bad = tmp_path / "bad.jsonl"
    if case == "truncated":
        text = DISK.read_text()
        bad.write_text(text[: text.rindex('"wait_for_response"')])
        expected = f"{bad}:4: not valid JSON"
    else:
        replacement = {"not_json": "<html>not an event log</html>", "wrong_shape": json.dumps([1, 2]),
                       "wrong_types": json.dumps({"id": 9, "source": "agent", "action": "run", "args": "ls"})}
        bad.write_text("\n".join(lines[:2] + [replacement[case]] + lines[3:]) + "\n")
        expected = {"not_json": f"{bad}:3: not valid JSON", "wrong_shape": f"{bad}:3: expected an OpenHands event",
                    "wrong_types": f"{bad}:3: an action needs a string `action` and an object `args`"}[case]

    out, err, _ = run_failing("import_sessions", str(tmp_path), "--workspace", workspace.name,
                              "--format", "openhands")

    assert "1 imported, 0 unchanged, 0 updated, 1 failed" in out
    assert expected in err
    assert list(Session.objects.values_list("title", flat=True)) == ["Count the lines in README.md"]


def test_it_names_the_line_of_a_broken_json_array(workspace, tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text(BILLING.read_text()[:2000])

    _, err, _ = run_failing("import_sessions", str(bad), "--workspace", workspace.name, "--format", "openhands")

    assert f"{bad}:" in err and "not valid JSON" in err
    assert not Session.objects.exists() and not Agent.objects.exists()


def test_it_fails_an_array_item_that_is_not_an_event(workspace, tmp_path):
    bad = tmp_path / "items.json"
    bad.write_text(json.dumps(json.loads(BILLING.read_text())[:3] + ["oops"]))

    _, err, _ = run_failing("import_sessions", str(bad), "--workspace", workspace.name, "--format", "openhands")

    assert f"{bad}[3]: expected an OpenHands event object" in err
    assert not Session.objects.exists()


def test_it_tells_all_four_formats_apart_by_content(workspace, tmp_path):
    shutil.copytree(OPENHANDS, tmp_path / "openhands")
    shutil.copytree(DATA / "codex", tmp_path / "codex")
    shutil.copytree(CLAUDE_CODE, tmp_path / "claude")
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    shutil.copy(FLEET / f"{fleet_ids()[0]}.json", fleet / "one.json")
    # The name says nothing of the format; without the conversation id in it, the session id is a digest.
    shutil.copy(BILLING, tmp_path / "export-looking-name.json")

    out, _ = run("import_sessions", str(tmp_path), "--workspace", workspace.name)

    assert "9 imported, 0 unchanged, 0 updated, 0 failed" in out
    agents = sorted(Session.objects.values_list("agent__name", flat=True))
    assert agents.count("openhands") == 4 and agents.count("codex") == 2 and agents.count("claude-code") == 2
    assert Session.objects.filter(pk=fleet_ids()[0]).exists()


def test_it_renders_an_imported_event_log_in_the_transcript_viewer(workspace):
    run("import_sessions", str(BILLING), "--workspace", workspace.name)
    viewer = _client(_user("vic", workspace=workspace, role=Role.VIEWER))

    r = viewer.get(f"/w/{workspace.id}/sessions/{BILLING_ID}")

    assert r.status_code == 200
    body = r.content.decode()
    assert "python export.py --month 2026-01" in body and "ZeroDivisionError" in body
