"""`manage.py import_sessions` with Codex CLI rollouts (~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl)."""

import json
import shutil

import pytest

from dreams.models import Session, SessionEvent
from memory.models import Agent, Role
from tests.console.conftest import _client, _user
from tests.dreams.factories import CLAUDE_CODE, DATA, run, run_failing

CODEX = DATA / "codex"
NEW = CODEX / "2026/03/04/rollout-2026-03-04T10-00-00-5b2f7c1a-3d4e-4f60-8a9b-0c1d2e3f4a5b.jsonl"
OLD = CODEX / "rollout-2025-06-10T08-00-00-9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a.jsonl"
NEW_ID = "sesn_codex_5b2f7c1a3d4e4f608a9b0c1d2e3f4a5b"
OLD_ID = "sesn_codex_9e8d7c6b5a49438291706f5e4d3c2b1a"


def _events(session_id):
    return [e.payload for e in SessionEvent.objects.filter(session_id=session_id).order_by("seq")]


def test_it_maps_a_rollout_to_session_events(workspace):
    _, err = run("import_sessions", str(NEW), "--workspace", workspace.name, "--format", "codex")

    session = Session.objects.select_related("agent").get(pk=NEW_ID)
    assert session.agent.name == "codex"
    assert session.title == "The stock count test fails after the last merge. Please fix it."
    assert session.environment_id == "codex"
    assert session.agent_snapshot == {"model": {"id": "gpt-5-codex"}}
    assert session.metadata == {
        "source": "codex", "codex_session_id": "5b2f7c1a-3d4e-4f60-8a9b-0c1d2e3f4a5b", "cwd": "/home/dev/inventory",
        "cli_version": "0.61.0", "originator": "codex_cli_rs", "git_branch": "fix/stock-count",
        "git_commit": "a1b2c3d4", "repository_url": "https://example.invalid/inventory.git"}
    assert session.extra["usage"] == {"input_tokens": 5200, "output_tokens": 380, "cache_read_input_tokens": 4100}
    events = _events(NEW_ID)
    # Developer instructions, the injected AGENTS.md / environment context and the event_msg copies of
    # messages are not events; unknown record types are skipped.
    assert [e["type"] for e in events] == [
        "session.status_running", "user.message", "agent.thinking", "agent.message",
        "agent.tool_use", "agent.tool_result",  # shell, exit code 2
        "agent.tool_use", "agent.tool_result",  # exec_command, exit code 0
        "agent.tool_use", "agent.tool_result",  # apply_patch, patch_apply_end success false
        "agent.tool_use", "user.tool_confirmation", "agent.tool_result",  # local_shell, rejected
        "agent.tool_use",  # web_search: no output is recorded
        "session.error", "agent.thread_context_compacted", "agent.message", "session.status_idle",
        "user.message", "user.interrupt",
    ]
    (_, prompt, thinking, said, shell, shell_out, exec_, exec_out, patch, patch_out, local, denial, local_out,
     search, error, _, answer, idle, _, _) = events
    assert prompt["content"] == [{"type": "text", "text": session.title}]
    assert prompt["processed_at"] == "2026-03-04T10:00:01.000Z"
    assert set(thinking) == {"type", "id", "processed_at"}
    assert said["content"] == [{"type": "text", "text": "Running the tests to see the failure."}]
    assert shell["id"] == "sevt_cx_call_Shell01" and shell["name"] == "shell"
    assert shell["input"] == {"command": "make test", "argv": ["bash", "-lc", "make test"],
                              "workdir": "/home/dev/inventory", "timeout_ms": 120000}
    assert shell_out["tool_use_id"] == shell["id"] and shell_out["is_error"] is True
    assert shell_out["content"][0]["text"].startswith("FAILED tests/test_stock.py::test_count")
    assert exec_["name"] == "exec_command" and exec_["input"]["command"] == "grep -n 'def count' inventory/stock.py"
    assert (exec_out["tool_use_id"], exec_out["is_error"]) == (exec_["id"], False)
    assert patch["name"] == "apply_patch" and patch["input"]["input"].startswith("*** Begin Patch")
    assert (patch_out["tool_use_id"], patch_out["is_error"]) == (patch["id"], True)
    assert local["name"] == "local_shell" and local["input"]["command"] == "git push --force"
    assert denial == {"type": "user.tool_confirmation", "id": denial["id"], "processed_at": "2026-03-04T10:00:09.000Z",
                      "tool_use_id": local["id"], "result": "deny", "deny_message": "exec command rejected by user"}
    assert (local_out["tool_use_id"], local_out["is_error"]) == (local["id"], True)
    assert search["name"] == "web_search" and search["input"] == {"type": "search", "query": "python len off by one"}
    assert error["error"]["message"] == "stream disconnected before completion"
    assert answer["content"][0]["text"].startswith("The count dropped the last item")
    assert idle["stop_reason"] == {"type": "end_turn"}
    assert not any("AGENTS.md" in json.dumps(e) or "permissions instructions" in json.dumps(e) for e in events)
    assert ".jsonl:22: skipped: unknown response item type 'image_generation_call'" in err
    assert ".jsonl:24: skipped: unknown event_msg type 'collab_waiting_begin'" in err


def test_it_reads_an_old_rollout_without_the_envelope(workspace):
    run("import_sessions", str(OLD), "--workspace", workspace.name, "--format", "codex")

    session = Session.objects.get(pk=OLD_ID)
    assert session.title == "List the migrations"
    assert session.metadata == {"source": "codex", "codex_session_id": "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a",
                                "git_branch": "main"}
    prompt, thinking, shell, result, answer = _events(OLD_ID)
    assert [prompt["type"], thinking["type"], answer["type"]] == ["user.message", "agent.thinking", "agent.message"]
    assert shell["input"]["command"] == "ls migrations"
    assert result["tool_use_id"] == shell["id"] and result["is_error"] is True  # {"content", "success": false}
    assert result["content"] == [{"type": "text", "text": "ls: migrations: No such file or directory"}]


def test_it_imports_a_rollout_again_without_change(workspace):
    run("import_sessions", str(CODEX), "--workspace", workspace.name)
    ids = {s: [e["id"] for e in _events(s)] for s in (NEW_ID, OLD_ID)}

    out, _ = run("import_sessions", str(CODEX), "--workspace", workspace.name)

    assert "0 imported, 2 unchanged, 0 updated, 0 failed" in out
    assert {s: [e["id"] for e in _events(s)] for s in (NEW_ID, OLD_ID)} == ids


def test_it_appends_what_a_growing_rollout_added(workspace, tmp_path):
    path = tmp_path / NEW.name
    shutil.copy(NEW, path)
    run("import_sessions", str(path), "--workspace", workspace.name)
    before = [e["id"] for e in _events(NEW_ID)]
    more = {"timestamp": "2026-03-04T10:20:00.000Z", "type": "response_item",
            "payload": {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Done."}]}}
    with path.open("a") as handle:
        handle.write(json.dumps(more) + "\n")

    out, _ = run("import_sessions", str(path), "--workspace", workspace.name)

    assert "1 updated" in out
    after = _events(NEW_ID)
    assert [e["id"] for e in after[:-1]] == before
    assert after[-1]["content"] == [{"type": "text", "text": "Done."}]


def _truncated(tmp_path):
    path = tmp_path / "truncated.jsonl"
    text = NEW.read_text()
    path.write_text(text[: text.rindex('"reason"')])  # the writer was stopped mid-line
    return path, len(text.splitlines())


@pytest.mark.parametrize("case", ["not_json", "wrong_shape", "wrong_types", "truncated"])
def test_it_fails_a_bad_file_whole_and_imports_the_others(workspace, tmp_path, case):
    shutil.copy(OLD, tmp_path / OLD.name)
    lines = NEW.read_text().splitlines()
    if case == "truncated":
        bad, line = _truncated(tmp_path)
        expected = f"{bad}:{line}: not valid JSON"
    else:
        bad = tmp_path / "bad.jsonl"
        replacement = {"not_json": "this is not JSON",
                       "wrong_shape": json.dumps(["a", "list"]),
                       "wrong_types": json.dumps({"timestamp": "2026-03-04T10:00:03.000Z", "type": "response_item",
                                                  "payload": {"type": "function_call", "name": 7, "arguments": "{}"}})}
        bad.write_text("\n".join(lines[:5] + [replacement[case]] + lines[6:]) + "\n")
        expected = {"not_json": f"{bad}:6: not valid JSON", "wrong_shape": f"{bad}:6: expected a JSON object",
                    "wrong_types": f"{bad}:6: a function_call needs a string `name`"}[case]

    out, err, _ = run_failing("import_sessions", str(tmp_path), "--workspace", workspace.name, "--format", "codex")

    assert "1 imported, 0 unchanged, 0 updated, 1 failed" in out
    assert expected in err
    assert set(Session.objects.values_list("id", flat=True)) == {OLD_ID}  # nothing of the bad file


def test_it_fails_a_file_that_is_not_a_rollout(workspace):
    out, err, _ = run_failing("import_sessions", str(CLAUDE_CODE), "--workspace", workspace.name,
                              "--format", "codex")

    assert "0 imported, 0 unchanged, 0 updated, 2 failed" in out
    assert "no session_meta record found; is this a Codex rollout?" in err
    assert not Session.objects.exists() and not Agent.objects.exists()


def test_it_tells_rollouts_transcripts_and_exports_apart_by_content(workspace, tmp_path):
    shutil.copytree(CODEX, tmp_path / "codex")
    shutil.copytree(CLAUDE_CODE, tmp_path / "claude")
    shutil.copy(NEW, tmp_path / "renamed.json.jsonl")  # the name says nothing
    export = {"session": {"id": "sesn_side", "agent": {"name": "fixture"}, "environment_id": "e"}, "events": []}
    (tmp_path / "export.jsonl").write_text(json.dumps(export) + "\n")

    out, _ = run("import_sessions", str(tmp_path), "--workspace", workspace.name)

    assert "5 imported" in out  # the renamed copy is the same session, so it is unchanged
    names = dict(Session.objects.values_list("id", "agent__name"))
    assert names[NEW_ID] == names[OLD_ID] == "codex"
    assert names["sesn_side"] == "fixture"
    assert sorted(n for n in names.values() if n == "claude-code") == ["claude-code", "claude-code"]


def test_it_renders_an_imported_rollout_in_the_transcript_viewer(workspace):
    run("import_sessions", str(NEW), "--workspace", workspace.name)
    viewer = _client(_user("vic", workspace=workspace, role=Role.VIEWER))

    r = viewer.get(f"/w/{workspace.id}/sessions/{NEW_ID}")

    assert r.status_code == 200
    body = r.content.decode()
    assert "make test" in body and "exec command rejected by user" in body
