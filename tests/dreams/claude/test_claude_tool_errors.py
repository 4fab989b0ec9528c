"""Malformed tool calls of the dreamer: each is answered with a tool error the model can act on (in
the next request it sends), nothing is changed by it, and the dream goes on to complete."""

from dreams import runner
from dreams import sessions as domain
from dreams.models import Dream, DreamStatus, ProposedChange
from memory import store as memory_store
from memory.access import Actor
from tests.dreams.claude.conftest import Brain, start
from tests.dreams.factories import make_session, text_event
from tests.fakes.messages_api import reply, text, tool_use

NOTES = "/memories/project/notes.md"
BASE = "# Notes\n\nThe service listens on port 8080.\nDeploys run on Fridays only.\n"  # the `notes` fixture


def memory(id=None, **command):
    return tool_use("memory", command, id=id)


def run(fake, workspace, store, sessions, *turns):
    """Run a dream whose consolidation makes `turns` (then says it is done); the dream and its turns'
    requests as the fake received them."""
    fake.handler = Brain(*turns, reply("Done."))
    dream = start(workspace, store, sessions)
    assert runner.run_dream(dream.id) == DreamStatus.COMPLETED
    dream = Dream.objects.get(pk=dream.pk)
    assert dream.error is None
    requests = fake.handler.consolidations
    assert len(requests) == len(turns) + 1  # every turn was answered, then the model said it was done
    return dream, requests


def answers(request) -> list[dict]:
    """The tool results the request sends back for the previous turn's calls."""
    last = request.body["messages"][-1]
    assert last["role"] == "user"
    return last["content"]


def result_for(requests, turn: int) -> dict:
    """The one tool result that answers the call of consolidation turn `turn` (0-based)."""
    [call] = [b for b in requests[turn + 1].body["messages"][-2]["content"] if b["type"] == "tool_use"]
    [result] = answers(requests[turn + 1])
    assert result["type"] == "tool_result" and result["tool_use_id"] == call["id"]
    return result


def test_it_answers_each_malformed_memory_call_with_a_tool_error_and_goes_on(fake, settings, workspace, notes,
                                                                               sessions):
    settings.REVERIE_MAX_MEMORY_BYTES = 200
    calls = [
        (memory(command="explode", path=NOTES),
         "Unknown memory command 'explode': use view, create, str_replace, insert, delete or rename."),
        (memory(command="view", path="/etc/passwd"), "Path must start with /memories, got: /etc/passwd"),
        (memory(command="create", path="/memoriesX/a.md", file_text="x"),
         "Path must start with /memories, got: /memoriesX/a.md"),
        (memory(command="create", path="/memories/../x", file_text="escaped"),
         "Invalid path /memories/../x: the path must not contain '.' or '..' segments."),
        (memory(command="view", path="/memories/a/./b"),
         "Invalid path /memories/a/./b: the path must not contain '.' or '..' segments."),
        (memory(command="create", path="/memories/big.md", file_text="x" * 201),
         "File /memories/big.md would be 201 bytes; a memory holds at most 200 bytes. Split it into smaller files."),
        (memory(command="str_replace", path=NOTES, old_str="The service listens on port 8080.",
                new_str="The service listens on port 8080. " + "y" * 200),
         (f"File {NOTES} would be {len(BASE) + 201} bytes; a memory holds at most 200 bytes. Split it into "
          "smaller files.")),
        (memory(command="str_replace", path=NOTES, old_str="Deploys run on Mondays", new_str="x"),
         f"No replacement was performed, old_str `Deploys run on Mondays` did not appear verbatim in {NOTES}."),
        (memory(command="str_replace", path=NOTES, old_str="on ", new_str="at "),
         ("No replacement was performed. Multiple occurrences of old_str `on ` in lines: 3, 4. "
          "Please ensure it is unique")),
        (memory(command="str_replace", path=NOTES, old_str="", new_str="x"), "`old_str` must be a non-empty string."),
        (memory(command="create", path=NOTES, file_text="# Replaced\n"), f"File {NOTES} already exists"),
        (memory(command="create", path="/memories/project", file_text="x"),
         "The path /memories/project is a directory"),
        (memory(command="view", path="/memories/nowhere.md"),
         "The path /memories/nowhere.md does not exist. Please provide a valid path."),
        (memory(command="str_replace", path="/memories/project", old_str="a", new_str="b"),
         "The path /memories/project is a directory, not a file."),
        (memory(command="insert", path=NOTES, insert_line=99, insert_text="x"),
         "Invalid `insert_line` parameter: 99. It should be within the range [0, 4]."),
        (memory(command="delete", path="/memories"), "Cannot delete the /memories directory itself"),
        (memory(command="rename", old_path=NOTES, new_path=NOTES), f"The destination {NOTES} already exists"),
        (memory(command="view"), "Path must start with /memories, got: None"),
    ]
    dream, requests = run(fake, workspace, notes, sessions, *(reply(call) for call, _ in calls))

    for turn, (call, expected) in enumerate(calls):
        result = result_for(requests, turn)
        assert result["is_error"] is True, call
        assert result["content"].startswith(expected), (result["content"], expected)
    # Nothing the refused calls asked for happened.
    assert not ProposedChange.objects.filter(proposal__dream=dream).exists()
    assert list(dream.output_store.memories.values_list("path", flat=True)) == ["/project/notes.md"]


def test_it_shows_a_directory_two_levels_deep_and_a_file_with_numbered_lines(fake, workspace, notes, sessions):
    actor = Actor(user_id="user_test")
    for path, content in [("/project/deploy/steps.md", "1. build\n2. ship\n"),
                          ("/project/deploy/old/2019.md", "Deploys ran on Mondays.\n"), ("/top.md", "top\n")]:
        memory_store.create_memory(store=notes, path=path, content=content, actor=actor)
    dream, requests = run(fake, workspace, notes, sessions,
                          reply(memory(command="view", path="/memories")),
                          reply(memory(command="view", path="/memories/project/deploy/")),
                          reply(memory(command="view", path=NOTES)),
                          reply(memory(command="view", path=NOTES, view_range=[3, 4])))

    listing, deploy, whole, part = (result_for(requests, turn) for turn in range(4))
    assert not any(r["is_error"] for r in (listing, deploy, whole, part))
    notes_size = len(BASE)
    assert listing["content"] == (
        "Here're the files and directories up to 2 levels deep in /memories, excluding hidden items:\n"
        f"{notes_size + 17 + 24 + 4}B\t/memories\n"
        f"{notes_size + 17 + 24}B\t/memories/project/\n"
        "41B\t/memories/project/deploy/\n"  # its subdirectory old/ is three levels down: counted, not listed
        f"{notes_size}B\t/memories/project/notes.md\n"
        "4B\t/memories/top.md")
    assert deploy["content"] == (
        "Here're the files and directories up to 2 levels deep in /memories/project/deploy, excluding hidden items:\n"
        "41B\t/memories/project/deploy\n"
        "24B\t/memories/project/deploy/old/\n"
        "24B\t/memories/project/deploy/old/2019.md\n"
        "17B\t/memories/project/deploy/steps.md")
    assert whole["content"] == (
        f"Here's the content of {NOTES} with line numbers:\n"
        "     1\t# Notes\n     2\t\n     3\tThe service listens on port 8080.\n     4\tDeploys run on Fridays only.\n"
        "     5\t")
    assert part["content"] == (
        f"Here's the content of {NOTES} with line numbers:\n"
        "     3\tThe service listens on port 8080.\n     4\tDeploys run on Fridays only.")
    assert not ProposedChange.objects.filter(proposal__dream=dream).exists()


def test_it_answers_a_call_of_a_tool_that_does_not_exist_with_a_tool_error(fake, workspace, notes, sessions):
    frobnicate = tool_use("frobnicate", {"path": NOTES})
    view, shell = memory(command="view", path=NOTES), tool_use("run_shell", {"cmd": "ls"})
    dream, requests = run(fake, workspace, notes, sessions, reply(text("Let me try."), frobnicate),
                          reply(view, shell))

    tools = "annotate_change, list_sessions, memory, read_session, search_sessions"
    # The API refuses a history naming a tool that is not defined, so no tool_result can answer such a
    # call: the call goes back as text in the model's turn, and the error as text in the next one.
    first = requests[1].body["messages"]
    assert first[-2] == {"role": "assistant", "content": [
        {"type": "text", "text": "Let me try."},
        {"type": "text", "text": f"[call of tool 'frobnicate' with input {{\"path\": \"{NOTES}\"}}: not run, "
                                 "no such tool]"}]}
    assert first[-1]["content"] == [{"type": "text", "cache_control": {"type": "ephemeral"}, "text":
                                     "Tool error: Unknown tool 'frobnicate'; your call of it was not run. "
                                     f"The tools are: {tools}."}]
    # Beside a valid call, the valid one gets its tool_result first, then the error.
    second = requests[2].body["messages"]
    assert [b["type"] for b in second[-2]["content"]] == ["tool_use", "text"]
    assert second[-2]["content"][0]["id"] == view["id"]
    result, error_ = second[-1]["content"]
    assert (result["type"], result["tool_use_id"], result["is_error"]) == ("tool_result", view["id"], False)
    assert result["content"].startswith(f"Here's the content of {NOTES} with line numbers:")
    assert error_["text"] == (f"Tool error: Unknown tool 'run_shell'; your call of it was not run. "
                              f"The tools are: {tools}.")
    # Every request was one the API accepts; the dream's own transcript shows the refused calls.
    assert all(r.reply_status == 200 for r in fake.requests)
    from dreams.models import SessionEvent

    events = SessionEvent.objects.filter(session_id=dream.session_id, type="agent.tool_result")
    refused = [e.payload for e in events if e.payload.get("tool_use_id") in (frobnicate["id"], shell["id"])]
    assert len(refused) == 2 and all(p["is_error"] for p in refused)


def test_it_refuses_sessions_outside_the_dream_and_bad_session_tool_input(fake, workspace, agent, notes, sessions):
    stranger = make_session(workspace, agent, title="not in this dream")
    domain.append_events(session=stranger, events=[text_event("user.message", text="secret", id="evt_s_1")])
    calls = [
        (tool_use("read_session", {"session_id": stranger.id}),
         f"Session '{stranger.id}' is not one of this dream's sessions; list_sessions shows them."),
        (tool_use("read_session", {"session_id": "sesn_invented"}),
         "Session 'sesn_invented' is not one of this dream's sessions; list_sessions shows them."),
        (tool_use("read_session", {"session_id": sessions[0].id, "limit": 1000}),
         "`limit` must be an integer from 1 to 100."),
        (tool_use("read_session", {"session_id": sessions[0].id, "limit": 0}),
         "`limit` must be an integer from 1 to 100."),
        (tool_use("search_sessions", {"query": "x"}), "`query` must be a text of at least 2 characters."),
        (tool_use("search_sessions", {"query": "secret", "session_id": stranger.id}),
         f"Session '{stranger.id}' is not one of this dream's sessions"),
        (tool_use("list_sessions", {"page": 0}), "`page` must be a positive integer."),
        (tool_use("annotate_change", {"path": "/etc/x", "category": "pattern", "rationale": "r", "evidence": []}),
         "Path must start with /memories, got: /etc/x"),
        (tool_use("annotate_change", {"path": NOTES, "category": "bogus", "rationale": "r", "evidence": []}),
         "`category` must be one of pattern, dedup, stale, verify, other."),
    ]
    _, requests = run(fake, workspace, notes, sessions, *(reply(call) for call, _ in calls),
                      reply(tool_use("search_sessions", {"query": "secret"})),
                      reply(tool_use("read_session", {"session_id": sessions[0].id, "limit": 2})))

    for turn, (call, expected) in enumerate(calls):
        result = result_for(requests, turn)
        assert result["is_error"] is True, call
        assert result["content"].startswith(expected), (result["content"], expected)
    # A search never reaches into a session outside the dream; a page says where to go on.
    search, page = result_for(requests, len(calls)), result_for(requests, len(calls) + 1)
    assert search == {**search, "is_error": False, "content": "No event contains 'secret'."}
    assert page["is_error"] is False
    assert page["content"] == (
        "[evt_0_a] user.message: Fix the bug in app0.py\n"
        "[evt_0_b] agent.tool_use Edit: {\"file_path\": \"app0.py\"}\n"
        "[more events: continue with after_event_id=evt_0_b]")


def test_it_runs_no_call_of_a_reply_cut_off_at_max_tokens(fake, settings, workspace, notes, sessions):
    settings.REVERIE_CLAUDE_MAX_OUTPUT_TOKENS = 256
    create = memory(command="create", path="/memories/a.md", file_text="# A\n")
    dream, requests = run(fake, workspace, notes, sessions, reply(create, text("x" * 5000)))

    result = result_for(requests, 0)
    assert result["is_error"] is True
    assert result["content"].startswith("Your reply was cut off at max_tokens")
    assert not ProposedChange.objects.filter(proposal__dream=dream).exists()


def test_a_server_that_repeats_tool_ids_does_not_break_the_dreams_transcript(fake, workspace, notes, sessions):
    # Gateways and local model servers may number tool calls per reply; the API's own ids are unique.
    view = memory(command="view", path=NOTES, id="call_0")
    create = memory(command="create", path="/memories/a.md", file_text="# A\n", id="call_0")
    dream, requests = run(fake, workspace, notes, sessions, reply(view), reply(view), reply(create))

    assert [result_for(requests, turn)["is_error"] for turn in range(3)] == [False, False, False]
    [change] = ProposedChange.objects.filter(proposal__dream=dream)
    assert change.path == "/a.md"
    # The dream's own transcript names each call once; every result points at its own call.
    from dreams.models import SessionEvent

    events = list(SessionEvent.objects.filter(session_id=dream.session_id, type__in=["agent.tool_use",
                                                                                       "agent.tool_result"])
                  .order_by("seq").values_list("type", "id", "payload"))
    calls = [(i, p) for t, i, p in events if t == "agent.tool_use" and i.startswith("call_0")]
    results = [p["tool_use_id"] for t, _, p in events if t == "agent.tool_result"]
    assert [i for i, _ in calls] == ["call_0", "call_0.2", "call_0.3"]
    assert results == ["call_0", "call_0.2", "call_0.3"]
