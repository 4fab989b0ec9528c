"""Harness lessons: an agent's file tools refusing a call, and users refusing one (dreams/engines/harness.py)."""

from dreams.engines.harness import HarnessAnalyzer
from tests.dreams.test_engine_builders import Call, Fleet, analyze, bash

NOT_READ = "<tool_use_error>File has not been read yet. Read it first before writing to it.</tool_use_error>"
NOT_FOUND = "<tool_use_error>String to replace not found in file.\nString: foo</tool_use_error>"
REJECTED = ("The user doesn't want to proceed with this tool use. The tool use was rejected (eg. if it was a file "
            "edit, the new_string was NOT written to the file). {reason}")


def edit(path, output="The file has been updated.", error=False, old="a", new="b"):
    return Call("Edit", {"file_path": path, "old_string": old, "new_string": new}, output, error)


def read(path, output="1\tcontent"):
    return Call("Read", {"file_path": path}, output, False)


def edit_refused_until_read(fleet, agent, path):
    fleet.session(agent, [edit(path, NOT_READ, error=True), read(path), edit(path)])


def test_an_edit_refused_until_the_file_is_read_is_a_lesson_with_counts_and_evidence():
    fleet = Fleet("hr")
    edit_refused_until_read(fleet, "coder", "/src/app.py")
    edit_refused_until_read(fleet, "reviewer", "/src/lib.py")
    for _ in range(3):
        fleet.session("coder", [read("/src/x.py"), edit("/src/x.py")])

    [finding] = analyze(HarnessAnalyzer, fleet)

    assert finding.path == "/patterns/edit-not-read.md" and finding.memory is None
    line = finding.append[0]
    assert line.startswith("- When `Edit` fails because the file had not been read in the session yet: run `Read` "
                           "on that file, then retry the `Edit`. Recovered this way in 2 of 5 sessions "
                           "(coder, reviewer)")
    assert "threshold 2" in finding.rationale
    assert {e["session_id"] for e in finding.evidence} == {"sesn_hr_000", "sesn_hr_001"}
    assert all(len(e["event_ids"]) == 6 for e in finding.evidence)  # failure, the Read, the retry


def test_a_recurrence_that_is_noise_in_a_large_fleet_writes_nothing():
    fleet = Fleet("hn")
    edit_refused_until_read(fleet, "coder", "/src/app.py")
    edit_refused_until_read(fleet, "coder", "/src/lib.py")
    for _ in range(120):  # 2 of 122 sessions is under the 2 % share
        fleet.session("coder", [bash("make test")])

    assert analyze(HarnessAnalyzer, fleet) == []


def test_a_success_with_nothing_done_to_the_file_in_between_teaches_nothing():
    fleet = Fleet("hx")
    for path in ("/a.py", "/b.py", "/c.py"):
        fleet.session("coder", [edit(path, NOT_FOUND, error=True), bash("git status"), edit(path, old="c")])

    assert analyze(HarnessAnalyzer, fleet) == []


def test_a_replacement_not_found_then_a_read_is_its_own_lesson():
    fleet = Fleet("hf")
    for path in ("/a.py", "/b.py"):
        fleet.session("coder", [edit(path, NOT_FOUND, error=True), read(path), edit(path, old="exact text")])

    [finding] = analyze(HarnessAnalyzer, fleet)
    assert finding.path == "/patterns/edit-not-found.md"
    assert "its `old_string` did not match the file's text exactly: run `Read`" in finding.append[0]


def test_users_rejecting_a_tool_is_recorded_with_a_reason_they_gave_more_than_once():
    fleet = Fleet("hu")
    for n, reason in enumerate(["the user said:\nkeep the public API as it is",
                                "the user said:\nkeep the public API as it is", "", "the user said:\nnot now"]):
        fleet.session("coder", [edit(f"/f{n}.py", REJECTED.format(reason=reason), error=True)])

    [finding] = analyze(HarnessAnalyzer, fleet)

    assert finding.path == "/patterns/edit-rejected-by-users.md"
    assert finding.append[0] == ("- Users rejected `Edit` calls in 4 of 4 sessions; what they rejected was not done. "
                                 "Reasons they gave: “keep the public API as it is”.")


def test_failed_sessions_do_not_count_and_odd_tool_names_are_never_written():
    fleet = Fleet("ho")
    for n in range(2):
        fleet.session("coder", [edit(f"/f{n}.py", NOT_READ, error=True), read(f"/f{n}.py"), edit(f"/f{n}.py")],
                      outcome="failed")
    assert analyze(HarnessAnalyzer, fleet) == []

    odd = Fleet("hq")
    for n in range(2):
        odd.session("coder", [Call("Edit`; rm -rf /", {"file_path": f"/f{n}.py"}, NOT_READ, True),
                              read(f"/f{n}.py"), Call("Edit`; rm -rf /", {"file_path": f"/f{n}.py"}, "ok", False)])
    assert analyze(HarnessAnalyzer, odd) == []


def test_a_check_that_passes_after_edits_is_the_projects_check():
    fleet = Fleet("hc")
    for n in range(3):
        fleet.session("coder", [bash("make lint 2>&1 | tail -5", "src/a.py:3: E501 line too long\nexit status 1",
                                     error=True),
                                read(f"/src/a{n}.py"), edit(f"/src/a{n}.py"), bash("make lint", "ok")])
    fleet.session("coder", [bash("make lint", "exit status 1", error=True), bash("make lint", "ok")])  # flaky

    [finding] = analyze(HarnessAnalyzer, fleet)

    assert finding.path == "/patterns/make-lint.md"
    assert finding.append[0] == ("- `make lint` failed, then passed after files were edited (`Edit`), in 3 of 4 "
                                 "sessions: it checks the code; fix what it reports and run it again.")
    assert {e["session_id"] for e in finding.evidence} == {"sesn_hc_000", "sesn_hc_001", "sesn_hc_002"}


def test_a_check_the_store_already_names_is_not_written_again():
    fleet = Fleet("hk").memory("/dev.md", "- Run `make lint` before pushing.\n")
    for n in range(3):
        fleet.session("coder", [bash("make lint", "exit status 1", error=True), edit(f"/a{n}.py"),
                                bash("make lint", "ok")])

    assert analyze(HarnessAnalyzer, fleet) == []
