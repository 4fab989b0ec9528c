"""Pattern discovery: the same error followed by the same recovery, across sessions and agents."""

from dreams.engines.base import BaseMemory
from dreams.engines.patterns import PatternAnalyzer
from tests.dreams.test_engine_builders import Fleet, analyze, bash, http, sql, wait

LIMITED = "HTTP/1.1 429 Too Many Requests"


def rate_limited_fleet(sessions=4, agents=("billing", "refunds")):
    fleet = Fleet("rl").memory("/api.md", "- Invoices are created with POST /v2/invoices.\n")
    for n in range(sessions):
        fleet.session(agents[n % len(agents)], [http("POST", "https://api.acme.test/v2/invoices", 429),
                                                wait(30), http("POST", "https://api.acme.test/v2/invoices", 201)])
    return fleet


def test_it_finds_a_recurring_error_and_recovery_with_counts():
    fleet = rate_limited_fleet()
    fleet.session("billing", [wait(30), http("POST", "https://api.acme.test/v2/invoices", 201)])

    [finding] = analyze(PatternAnalyzer, fleet)

    assert finding.memory is None and finding.path == "/patterns/http-post-v2-overloaded.md"
    line, sessions = finding.append
    assert line.startswith("- When `http POST https://api.acme.test/v2/invoices` fails (overloaded: “HTTP/1.1 429 Too Many Requests”): "
                           "run `wait 30`, "
                           "then retry it. Recovered this way in 4 sessions across 2 agents (billing, refunds)")
    assert line.endswith("Running `wait 30` first avoided the error in 1 more session.")
    assert sessions == "  - Sessions: " + ", ".join(f"sesn_rl_{n:03d}" for n in range(5)) + "."
    assert [e["session_id"] for e in finding.evidence] == [f"sesn_rl_{n:03d}" for n in range(5)]
    assert finding.evidence[-1]["role"] == "avoided"


def test_fewer_than_three_sessions_is_not_a_pattern():
    assert analyze(PatternAnalyzer, rate_limited_fleet(2)) == []


def test_failed_sessions_do_not_count():
    fleet = rate_limited_fleet(2)
    fleet.session("billing", [http("POST", "https://api.acme.test/v2/invoices", 429), wait(30),
                              http("POST", "https://api.acme.test/v2/invoices", 201)], outcome="failed")

    assert analyze(PatternAnalyzer, fleet) == []


def test_a_plain_retry_is_a_pattern_too_and_quotes_a_safe_error_line():
    fleet = Fleet("dl")
    for n in range(3):
        fleet.session(f"etl-{n}", [sql("UPDATE ledger SET posted = true WHERE batch = 7",
                                       "ERROR: deadlock detected", error=True),
                                   sql("UPDATE ledger SET posted = true WHERE batch = 7", "UPDATE 12")])

    [finding] = analyze(PatternAnalyzer, fleet)

    assert "fails (overloaded: “deadlock detected”): retry it as is." in finding.append[0]


def test_it_appends_to_an_existing_patterns_memory_and_skips_what_is_known():
    fleet = rate_limited_fleet()
    fleet.memory("/patterns/http-post-v2-overloaded.md", "# Recovery patterns\n- Older pattern.\n")

    [finding] = analyze(PatternAnalyzer, fleet)
    assert isinstance(finding.memory, BaseMemory) and finding.memory.path.startswith("/patterns/")

    known = rate_limited_fleet()
    known.memory("/known.md", "- On a 429 from `http POST` invoices, run `wait 30` and retry.\n")
    assert analyze(PatternAnalyzer, known) == []


def test_the_same_recovery_of_one_subcommand_on_different_objects_is_one_pattern():
    fleet = Fleet("ml")
    for n, model in enumerate(("resnet", "bert", "yolo")):
        fleet.session(f"trainer-{n}", [
            bash(f"mlctl train {model}", "Loading config\nerror: gpu lease held by another job\n(exit status 3)",
                 error=True),
            bash("sleep 45"),
            bash(f"mlctl train {model}", "trained\n(exit status 0)")])

    [finding] = analyze(PatternAnalyzer, fleet)

    assert finding.path == "/patterns/mlctl-train-gpu-lease-held.md"
    assert finding.append[0].startswith("- When `mlctl train` fails (error: “gpu lease held by another job”): "
                                        "run `sleep 45`, then retry it. Recovered this way in 3 sessions")


def test_a_shape_pattern_is_not_written_when_the_exact_command_already_recurs():
    fleet = Fleet("ml2")
    for n in range(3):
        fleet.session(f"trainer-{n}", [bash("mlctl train resnet", "error: gpu lease held", error=True),
                                       bash("sleep 45"), bash("mlctl train resnet", "trained")])

    [finding] = analyze(PatternAnalyzer, fleet)

    assert "`mlctl train resnet`" in finding.append[0]


def test_a_call_that_worked_only_at_another_endpoint_is_not_retry_it_as_is():
    """410 Gone on /v1/, then 200 on /v2/: the numbers are the difference, not a retry."""
    fleet = Fleet("gone")
    for n in range(4):
        fleet.session(f"agent-{n}", [http("GET", "https://api.acme.test/v1/orders", 410),
                                     http("GET", "https://api.acme.test/v2/orders", 200)])

    findings = analyze(PatternAnalyzer, fleet)

    assert not any("retry it as is" in line for f in findings for line in f.append)
