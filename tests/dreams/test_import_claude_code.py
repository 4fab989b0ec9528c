"""`manage.py import_sessions` with Claude Code transcripts (~/.claude/projects/<project>/<uuid>.jsonl)."""

import json
import shutil
from datetime import datetime, timezone

import pytest

from dreams.importers import claude_code
from dreams.models import Session, SessionEvent
from memory.models import Agent
from tests.dreams.factories import CLAUDE_CODE, CLAUDE_CODE_BROKEN, run, run_failing

FIX = "7f3c2a1e-9b4d-4c8e-a2f1-5d6e7f8a9b0c"  # a debugging session: summary, tools, thinking, torn lines
MIGRATE = "0b9d8c7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e"  # no summary, a long first prompt, an image, a NUL, a bad time


def _events(session_id):
    return list(SessionEvent.objects.filter(session_id=session_id).order_by("seq"))


def test_it_maps_a_transcript_to_session_events(workspace):
    _, err = run("import_sessions", str(CLAUDE_CODE / f"{FIX}.jsonl"), "--workspace", workspace.name)

    session = Session.objects.select_related("agent").get(pk="sesn_cc_7f3c2a1e9b4d4c8ea2f15d6e7f8a9b0c")
    assert session.agent.name == "claude-code"
    assert session.title == "Fix flaky retry test in payments client"
    assert session.metadata == {"source": "claude-code", "claude_session_id": FIX, "project": "-home-dev-payments-api",
                                "cwd": "/home/dev/payments-api", "git_branch": "fix/retry-storm"}
    assert session.environment_id == "claude-code"
    assert session.agent_snapshot == {"model": {"id": "claude-sonnet-4-5-20250929"}}
    assert session.created_at == datetime(2026, 3, 2, 9, 14, 3, 125000, tzinfo=timezone.utc)
    assert session.updated_at == datetime(2026, 3, 2, 9, 16, 2, 3000, tzinfo=timezone.utc)
    events = _events(session.id)
    assert [e.type for e in events] == [
        "user.message", "user.message", "agent.thinking", "agent.message", "agent.tool_use", "agent.tool_result",
        "agent.tool_use", "agent.tool_result", "system.message", "agent.message", "user.message",
    ]
    command, prompt, thinking, said, bash, bash_result, read, read_result, notice, answer, thanks = (
        e.payload for e in events)
    assert command["content"][0]["text"].startswith("<command-name>/clear")
    assert prompt["content"] == [{"type": "text", "text": "The retry test in tests/test_client.py fails about one "
                                                          "run in five. Can you find out why and fix it?"}]
    assert prompt["processed_at"] == "2026-03-02T09:14:20.501Z"
    assert set(thinking) == {"type", "id", "processed_at"}  # no thinking text is kept
    assert said["content"] == [{"type": "text", "text": "I'll run the test a few times to reproduce the failure."}]
    assert bash["id"] == "sevt_toolu_01RunTests"
    assert bash["name"] == "Bash"
    assert bash["input"]["command"].startswith("for i in 1 2 3 4 5")
    assert bash_result["tool_use_id"] == "sevt_toolu_01RunTests"
    assert bash_result["is_error"] is False
    assert "FAILED tests/test_client.py::test_retry_backoff" in bash_result["content"][0]["text"]
    assert (read["name"], read_result["tool_use_id"], read_result["is_error"]) == ("Read", read["id"], True)
    assert read_result["content"] == [{"type": "text", "text": "<tool_use_error>File does not exist.</tool_use_error>"}]
    assert notice["content"][0]["text"].startswith("Claude Code was interrupted")
    assert [b["text"] for b in answer["content"]] == [
        "The jitter can push the delay to 0.41s while the test asserts <= 0.4s. ",
        "I widened the bound to include the jitter (0.4 * 1.25).",
    ]
    assert thanks["content"][0]["text"] == "Thanks, looks right."
    # The meta caveat and the sub-agent's own conversation are not part of the session.
    assert not any("Caveat" in json.dumps(e.payload) or "jitter constant" in json.dumps(e.payload) for e in events)
    assert session.event_count == 11
    assert "7f3c2a1e-9b4d-4c8e-a2f1-5d6e7f8a9b0c.jsonl:9: skipped: not valid JSON" in err
    assert ".jsonl:12: skipped: not an object" in err
    assert ".jsonl:18: skipped: not valid JSON" in err


def test_it_titles_a_session_without_summary_with_the_first_prompt(workspace):
    run("import_sessions", str(CLAUDE_CODE / f"{MIGRATE}.jsonl"), "--workspace", workspace.name)

    session = Session.objects.get(pk="sesn_cc_0b9d8c7e6f5a4b3c9d2e1f0a9b8c7d6e")
    assert session.title == "Please write a migration that adds an index on payments(created_at, id) so that…"
    assert len(session.title) <= claude_code.TITLE_LENGTH
    prompt, said, write, done, result = (e.payload for e in _events(session.id))
    assert prompt["content"][1] == {"type": "text", "text": "[image omitted]"}
    assert [said["type"], write["type"], done["type"]] == ["agent.message", "agent.tool_use", "agent.message"]
    assert write["input"]["content"] == "# nul:\ufffd end"  # NUL cannot be stored; it is replaced
    assert result["tool_use_id"] == write["id"] == "sevt_toolu_02Write"
    assert result["processed_at"] is None  # the line's timestamp was not a time


def test_it_files_transcripts_under_the_agent_given_with_agent(workspace):
    run("import_sessions", str(CLAUDE_CODE), "--workspace", workspace.name, "--agent", "laptop-claude")

    assert set(Session.objects.values_list("agent__name", flat=True)) == {"laptop-claude"}
    assert not Agent.objects.filter(name="claude-code").exists()


def test_it_imports_a_transcript_again_without_change(workspace):
    run("import_sessions", str(CLAUDE_CODE), "--workspace", workspace.name)
    count = SessionEvent.objects.count()

    out, _ = run("import_sessions", str(CLAUDE_CODE), "--workspace", workspace.name)

    assert "0 imported, 2 unchanged, 0 updated, 0 failed" in out
    assert SessionEvent.objects.count() == count


def test_it_appends_what_a_growing_transcript_added(workspace, tmp_path):
    path = tmp_path / f"{FIX}.jsonl"
    shutil.copy(CLAUDE_CODE / f"{FIX}.jsonl", path)
    run("import_sessions", str(path), "--workspace", workspace.name)
    before = [e.id for e in _events("sesn_cc_7f3c2a1e9b4d4c8ea2f15d6e7f8a9b0c")]
    more = {"type": "assistant", "sessionId": FIX, "uuid": "00000000-0000-4000-8000-000000000099",
            "timestamp": "2026-03-02T09:20:00.000Z",
            "message": {"role": "assistant", "content": [{"type": "text", "text": "Anything else?"}]}}
    with path.open("a") as handle:
        handle.write(json.dumps(more) + "\n")

    out, _ = run("import_sessions", str(path), "--workspace", workspace.name)

    assert "1 updated" in out
    after = _events("sesn_cc_7f3c2a1e9b4d4c8ea2f15d6e7f8a9b0c")
    assert [e.id for e in after[:-1]] == before
    assert after[-1].payload["content"][0]["text"] == "Anything else?"
    assert Session.objects.get(pk="sesn_cc_7f3c2a1e9b4d4c8ea2f15d6e7f8a9b0c").updated_at == datetime(
        2026, 3, 2, 9, 20, tzinfo=timezone.utc)


def test_it_fails_a_file_with_no_conversation_in_it(workspace):
    out, err, _ = run_failing("import_sessions", str(CLAUDE_CODE_BROKEN), "--workspace", workspace.name)

    assert "0 imported, 0 unchanged, 0 updated, 1 failed" in out
    assert "no user or assistant messages found" in err
    assert not Session.objects.exists()
    assert not Agent.objects.exists()


def test_it_reads_exports_and_transcripts_side_by_side(workspace, tmp_path):
    shutil.copytree(CLAUDE_CODE, tmp_path / "projects" / "payments")
    export = {"session": {"id": "sesn_side", "agent": {"name": "fixture"}, "environment_id": "e"}, "events": []}
    (tmp_path / "export.json").write_text(json.dumps(export))

    out, _ = run("import_sessions", str(tmp_path), "--workspace", workspace.name)

    assert "3 imported" in out


def test_it_derives_session_ids_from_claude_session_ids():
    assert claude_code.session_id_for(FIX) == "sesn_cc_7f3c2a1e9b4d4c8ea2f15d6e7f8a9b0c"
    odd = claude_code.session_id_for("not a uuid")
    assert odd.startswith("sesn_cc_") and odd == claude_code.session_id_for("not a uuid")


@pytest.mark.parametrize("fmt", ["claude-code", "auto"])
def test_it_reads_a_jsonl_transcript_with_format(workspace, fmt):
    out, _ = run("import_sessions", str(CLAUDE_CODE / f"{MIGRATE}.jsonl"), "--workspace", workspace.name,
                 "--format", fmt)

    assert "1 imported" in out
