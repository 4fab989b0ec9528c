"""Stale facts: a remembered command, flag, table or endpoint that fails while a replacement succeeds."""

from dreams.engines.stale import StaleAnalyzer
from tests.dreams.test_engine_builders import Fleet, analyze, bash, http, sql

UNKNOWN = "Error: unknown flag: --wait"


def cli_fleet(sessions=3, *, outcome="satisfied"):
    fleet = Fleet("cli").memory("/ops/web.md", "# Web\n- Restart with `kubectl rollout restart deploy/web --wait`.\n"
                                "- The web tier has 4 pods.\n")
    for _ in range(sessions):
        fleet.session("ops-bot", [bash("kubectl rollout restart deploy/web --wait", UNKNOWN, error=True),
                                  bash("kubectl rollout restart deploy/web --timeout=5m", "restarted")], outcome=outcome)
    return fleet


def test_it_swaps_the_failing_flag_for_the_one_that_succeeds():
    [finding] = analyze(StaleAnalyzer, cli_fleet())

    assert finding.kind == "stale"
    assert finding.lines == {1: "- Restart with `kubectl rollout restart deploy/web --timeout=5m`."}
    assert finding.rationale.startswith("`--wait` fails in 3 sessions (unknown flag); `--timeout=5m` succeeds in 3")
    sessions = [e for e in finding.evidence if e["type"] == "session"]
    assert [e["session_id"] for e in sessions] == ["sesn_cli_000", "sesn_cli_001", "sesn_cli_002"]
    assert sessions[0]["event_ids"] == ["sevt_cli_000_02", "sevt_cli_000_03", "sevt_cli_000_04", "sevt_cli_000_05"]


def test_it_drops_a_flag_that_was_removed():
    fleet = Fleet("drop").memory("/ops/web.md", "- Restart with `kubectl rollout restart deploy/web --wait`.\n")
    for _ in range(2):
        fleet.session("ops-bot", [bash("kubectl rollout restart deploy/web --wait", UNKNOWN, error=True),
                                  bash("kubectl rollout restart deploy/web", "restarted")])

    [finding] = analyze(StaleAnalyzer, fleet)

    assert finding.lines == {0: "- Restart with `kubectl rollout restart deploy/web`."}


def test_it_updates_an_endpoint_and_a_table():
    fleet = Fleet("mix").memory("/api.md", "- List users with GET https://api.acme.test/v1/users.\n"
                                "- Older docs mention /v1/users too.\n")
    fleet.memory("/jobs.md", "- The revenue job reads `analytics.orders_v1` nightly.\n")
    for _ in range(2):
        fleet.session("api-bot", [http("GET", "https://api.acme.test/v1/users", 404),
                                  http("GET", "https://api.acme.test/v2/users", 200)])
        fleet.session("sql-bot", [sql("SELECT sum(total) FROM analytics.orders_v1;",
                                      'ERROR: relation "analytics.orders_v1" does not exist', error=True),
                                  sql("SELECT sum(total) FROM analytics.orders_v2;", "1234")])

    found = {(f.memory.path, n): text for f in analyze(StaleAnalyzer, fleet) for n, text in f.lines.items()}

    assert found == {("/api.md", 0): "- List users with GET https://api.acme.test/v2/users.",
                     ("/api.md", 1): "- Older docs mention /v2/users too.",
                     ("/jobs.md", 0): "- The revenue job reads `analytics.orders_v2` nightly."}


def test_one_session_is_not_enough():
    assert analyze(StaleAnalyzer, cli_fleet(1)) == []


def test_failed_sessions_are_not_evidence():
    assert analyze(StaleAnalyzer, cli_fleet(3, outcome="failed")) == []


def test_a_transient_failure_is_not_staleness():
    fleet = Fleet("busy").memory("/ops.md", "- Restart with `svcctl restart api --host node-1`.\n")
    for _ in range(3):
        fleet.session("bot", [bash("svcctl restart api --host node-1", "error: timed out", error=True),
                              bash("svcctl restart api --host node-2", "restarted")])

    assert analyze(StaleAnalyzer, fleet) == []


def test_a_token_that_works_again_later_is_not_stale():
    fleet = cli_fleet(2)
    fleet.session("ops-bot", [bash("kubectl rollout restart deploy/web --wait", "restarted")])

    assert analyze(StaleAnalyzer, fleet) == []


def test_it_leaves_lines_that_do_not_name_the_token():
    fleet = cli_fleet()
    fleet.memory("/ops/other.md", "- Always wait for the rollout to finish.\n")

    assert {f.memory.path for f in analyze(StaleAnalyzer, fleet)} == {"/ops/web.md"}


def test_an_identifier_inside_a_quoted_query_is_replaced_past_exploration_calls():
    fleet = Fleet("inv").memory("/inventory.md", "- Stock is in `inventory.stock_levels`, one row per sku.\n")
    for n in range(2):
        fleet.session("stock-bot", [
            bash(f"mysql -D shop -e \"select sku from inventory.stock_levels where qty < {n + 2}\"",
                 "ERROR 1146 (42S02): Table 'inventory.stock_levels' doesn't exist", error=True),
            bash("mysql -D shop -e \"show tables in inventory\"", "stock_snapshot\nwarehouses"),
            bash(f"mysql -D shop -e \"select sku from inventory.stock_snapshot where qty < {n + 2}\"", "sku-9\n")])

    [finding] = analyze(StaleAnalyzer, fleet)

    assert finding.lines == {0: "- Stock is in `inventory.stock_snapshot`, one row per sku."}
    assert finding.rationale.startswith("`inventory.stock_levels` fails in 2 sessions")


def test_a_renamed_option_is_found_past_a_help_lookup():
    fleet = Fleet("mq").memory("/mq.md", "- Send with `mqctl send --queue-name orders MESSAGE`.\n")
    for n in range(2):
        fleet.session("mq-bot", [
            bash(f"mqctl send --queue-name orders msg-{n}.json",
                 "mqctl: unknown option '--queue-name'\n(exit status 2)", error=True),
            bash("mqctl send --help", "Usage: mqctl send [--topic NAME] MESSAGE"),
            bash(f"mqctl send --topic orders msg-{n}.json", "sent\n(exit status 0)")])

    [finding] = analyze(StaleAnalyzer, fleet)

    assert finding.lines == {0: "- Send with `mqctl send --topic orders MESSAGE`."}
