"""Verification backfill: facts exercised successfully get "(verified on DATE by session ID)"."""

from dreams.engines.verify import VerifyAnalyzer
from tests.dreams.test_engine_builders import Fleet, analyze, bash, http, sql

STATUS = "- The status endpoint is /v2/status and returns 200 when healthy.\n"


def test_it_notes_the_latest_satisfied_session_that_exercised_the_fact():
    fleet = Fleet("api").memory("/api.md", "# API\n" + STATUS + "- Tokens expire after 1 hour.\n")
    fleet.session("a", [http("GET", "https://api.acme.test/v2/status", 200)], day=1)
    latest = fleet.session("b", [http("GET", "https://api.acme.test/v2/status", 200)], day=3)
    fleet.session("a", [http("GET", "https://api.acme.test/v2/status", 200)], day=5, outcome="failed")
    fleet.session("a", [http("GET", "https://api.acme.test/v2/status", 200)], day=6, outcome=None)

    [finding] = analyze(VerifyAnalyzer, fleet)

    assert finding.lines == {1: f"{STATUS.strip()} (verified on 2026-11-05 by session {latest})"}
    assert {e["session_id"] for e in finding.evidence if e["type"] == "session"} == {"sesn_api_000", latest}
    assert "2 satisfied sessions (2 agents)" in finding.rationale


def test_a_result_that_contradicts_the_fact_does_not_verify_it():
    fleet = Fleet("api").memory("/api.md", STATUS)
    fleet.session("a", [http("GET", "https://api.acme.test/v2/status", 404)])
    fleet.session("a", [http("GET", "https://api.acme.test/v2/status", 201)])

    assert analyze(VerifyAnalyzer, fleet) == []


def test_it_verifies_commands_in_code_spans_from_any_tool():
    fleet = Fleet("db").memory("/jobs.md", "- Run `VACUUM ANALYZE analytics.events` weekly.\n"
                               "- Revenue is reported in EUR.\n")
    session = fleet.session("dba", [sql("VACUUM ANALYZE analytics.events", "VACUUM")])

    [finding] = analyze(VerifyAnalyzer, fleet)

    assert finding.lines[0].endswith(f"weekly. (verified on 2026-11-02 by session {session})")


def test_every_anchor_must_match():
    fleet = Fleet("port").memory("/h.md", "- The health endpoint is /healthz on port 8080.\n")
    fleet.session("a", [bash("curl -s http://svc:9090/healthz", '{"status":"ok"}')])
    fleet.session("a", [bash("curl -s http://svc:8080/healthz", "error: connection refused", error=True)])

    assert analyze(VerifyAnalyzer, fleet) == []


def test_it_replaces_an_older_note_and_keeps_a_current_one():
    old = "- The health endpoint is /healthz on port 8080. (verified on 2026-10-01 by session sesn_old)\n"
    fleet = Fleet("again").memory("/h.md", old)
    session = fleet.session("a", [bash("curl -s http://svc:8080/healthz", '{"status":"ok"}')])

    [finding] = analyze(VerifyAnalyzer, fleet)
    assert finding.lines == {0: f"- The health endpoint is /healthz on port 8080. (verified on 2026-11-02 by session "
                                f"{session})"}

    current = Fleet("again").memory("/h.md", finding.lines[0] + "\n")
    current.session("a", [bash("curl -s http://svc:8080/healthz", '{"status":"ok"}')])
    assert analyze(VerifyAnalyzer, current) == []


def test_a_method_and_path_in_a_code_span_match_a_call_to_the_full_url():
    fleet = Fleet("pay").memory("/pay.md", "- Refunds are created with `PUT /v3/refunds` and settle in a day.\n")
    session = fleet.session("pay-bot", [bash("xh PUT https://pay.acme.test/v3/refunds amount=5", "HTTP/1.1 200 OK")])

    [finding] = analyze(VerifyAnalyzer, fleet)

    assert finding.lines[0].endswith(f"(verified on 2026-11-02 by session {session})")


def test_host_and_port_may_be_separate_arguments_and_placeholders_match_any_value():
    fleet = Fleet("cache").memory("/cache.md", "- The cache is `kv-replica.lan:6380`.\n"
                                  "- Warm it with `kvctl warm KEYSPACE`.\n")
    fleet.session("c", [bash("redis-cli -h kv-replica.lan -p 6380 ping", "PONG"),
                        bash("kvctl warm sessions", "warmed 10 keys")])

    found = analyze(VerifyAnalyzer, fleet)

    assert sorted(n for f in found for n in f.lines) == [0, 1]


def test_a_one_word_value_may_be_confirmed_by_the_result_of_a_call_that_exercised_the_fact():
    fleet = Fleet("cert").memory("/certs.md", "- Certs chain to `root-ca-7`; check with `certctl check FILE`.\n")
    fleet.session("c", [bash("certctl check site.pem", "chain OK (root root-ca-9)")])
    assert analyze(VerifyAnalyzer, fleet) == []

    fleet.session("c", [bash("certctl check site.pem", "chain OK (root root-ca-7)")])
    [finding] = analyze(VerifyAnalyzer, fleet)
    assert "(verified on" in finding.lines[0]


def test_a_fact_about_a_path_is_not_verified_by_any_call_that_touches_the_path():
    fleet = Fleet("tmp").memory("/tmp.md", "- Scratch data under /srv/scratch is wiped nightly.\n"
                                "- Rotate logs with logrotate on /etc/logrotate.d/app.\n")
    fleet.session("c", [bash("du -sh /srv/scratch", "4.0G /srv/scratch"),
                        bash("logrotate -f /etc/logrotate.d/app", "")])

    [finding] = analyze(VerifyAnalyzer, fleet)

    assert list(finding.lines) == [1]
