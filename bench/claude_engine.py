"""The Claude engine at scale: real Claude dreams over 10, 100 and 1,000 sessions against a fake Messages API.

    .venv/bin/python bench/claude_engine.py [--sizes 10,100,1000] [--events 200] [--latency 0.2] [--concurrency 4]

For each size, a fresh SQLite database under a temporary REVERIE_HOME (a copy of one migrated once)
gets a store and N generated sessions, written through dreams.sessions.register_session and
append_events. A separate process then creates a dream (dreams.lifecycle.start_dream, model
claude-sonnet-5-5, create_new output) and runs it with dreams.runner.run_dream, the function the Celery
task calls, twice: the rerun finds every session's digest in the cache and sends no digest request.

The model is tests/fakes/messages_api.FakeMessagesAPI, in this process, on loopback, with a fixed
latency per call and the fake brain of bench/dreameval/fakebrain.py: digests citing the transcript's
real event ids, and a short consolidation per round (view, create or str_replace, annotate_change, end).
The engine reaches it through the real SDK, with ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY set for the
dream's process only. Every request the fake received is counted: tokens sent (the fake's count of what
the model reads), the usage it reported (input, output, cache writes, cache reads), the largest request
against the context limit. The run fails (exit 1) if any request exceeded the context limit, was
refused, or if a dream did not complete.

`python bench/claude_engine.py seed ...` is the worker that writes the store and sessions (Django set up
in-process, REVERIE_HOME given by the parent).
"""

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: bench and the apps
from bench import harness
from bench.dreameval import worker

SCRIPT = Path(__file__).resolve()
MODEL = "claude-sonnet-5-5"
FAKE_KEY = "sk-ant-bench-fake-0000"
AGENTS = ("ops-agent-1", "ops-agent-2", "ops-agent-3", "ops-agent-4")
SERVICES = ("payments", "search", "checkout", "ledger", "notifications", "auth", "inventory", "billing")
DEPLOY_DOC = "/runbooks/deploy.md"
DEPLOY_FACT = "- Roll a service out to every region: `deployctl rollout SERVICE --all-regions`."
VERIFY = ("/memories" + DEPLOY_DOC, "--all-regions")
BATCH_EVENTS = 100  # events per register_session / append_events call
SESSIONS_PER_COMMIT = 50


# --- the fleet (worker side) ---------------------------------------------------------------------------

# Recurring problems: a tool call that fails the same way in many sessions, and the call that worked next.
PROBLEMS = [
    {"tool": "bash", "failed": "deployctl rollout {svc} --region all",
     "error": "error: unknown flag: --region all (exit status 2)\nUsage: deployctl rollout SERVICE "
              "[--all-regions | --region NAME] [--canary PERCENT] [--wait]\nRun 'deployctl rollout --help' for "
              "the full list of flags. The --region flag takes one region name such as eu-west-1.",
     "fixed": "deployctl rollout {svc} --all-regions",
     "output": "rollout {svc} v{n}: eu-west-1 healthy (3/3), us-east-1 healthy (3/3), ap-south-1 healthy (2/2)\n"
               "canary 10% → 50% → 100% in {m} minutes, error rate 0.0{d}% (budget 0.5%)\nrollout {svc} v{n} "
               "complete; previous version v{p} kept for rollback for 24 hours."},
    {"tool": "edit_file", "failed": {"path": "src/{svc}/handlers.py", "old_str": "timeout=5",
                                     "new_str": "timeout=timeouts.DEFAULT"},
     "error": "File has not been read yet. Read it first before writing to it. The editor keeps a snapshot of "
              "each file it has shown you and refuses edits to files it has not shown, so that a stale copy "
              "never overwrites a colleague's change.",
     "fixed_tool": "read_file", "fixed": {"path": "src/{svc}/handlers.py"},
     "output": "import logging\nfrom {svc} import timeouts, clients\n\nlog = logging.getLogger(__name__)\n\n"
               "def handle(request):\n    client = clients.get('{svc}', timeout=5)\n    response = "
               "client.post('/v{d}/events', json=request.payload)\n    log.info('posted %s', response.status)\n"
               "    return response\n"},
    {"tool": "bash", "failed": "psql -c \"select sum(amount) from analytics.daily_revenue where day = current_date - 1\"",
     "error": "ERROR:  relation \"analytics.daily_revenue\" does not exist\nLINE 1: select sum(amount) from "
              "analytics.daily_revenue where day = current_date - 1\n                                "
              "^\nHINT:  Perhaps you meant to reference the table \"analytics.fct_revenue_daily\".",
     "fixed": "psql -c \"select sum(amount) from analytics.fct_revenue_daily where day = current_date - 1\"",
     "output": "    sum\n-----------\n {n}.{d}{d}\n(1 row)\n\nTime: {m}.{p} ms"},
    {"tool": "bash", "failed": "kubectl logs deploy/{svc} -n prod",
     "error": "error: timed out waiting for the log stream after 30s: the container has written more than "
              "2GB of logs since it started; narrow the request with --since or --tail",
     "fixed": "kubectl logs deploy/{svc} -n prod --since=10m --tail=200",
     "output": "2026-11-0{d}T10:{m}:01Z INFO  {svc} request id=r{n} route=/v2/orders status=200 duration_ms={m}\n"
               "2026-11-0{d}T10:{m}:02Z WARN  {svc} upstream slow id=r{p} upstream=ledger duration_ms={n}\n"
               "2026-11-0{d}T10:{m}:02Z INFO  {svc} request id=r{m} route=/v2/refunds status=200 duration_ms={d}"},
    {"tool": "bash", "failed": "pytest tests/{svc} -q",
     "error": "ImportError while loading conftest 'tests/conftest.py'.\nModuleNotFoundError: No module named "
              "'freezegun'\nThe test dependencies are in requirements-dev.txt; the runtime image only has "
              "requirements.txt installed.",
     "fixed": "pip install -q -r requirements-dev.txt && pytest tests/{svc} -q",
     "output": "........................................................................ [ 78%]\n"
               "...................                                                      [100%]\n"
               "{m} passed in {d}.{p}s"},
    {"tool": "bash", "failed": "svcctl restart {svc}",
     "error": "Error: permission denied: restarting a production service needs the on-call role, and this "
              "session runs as the read-only deploy-bot role. Ask for the role or use the on-call identity.",
     "fixed": "svcctl --as oncall restart {svc}",
     "output": "{svc}: stopping 3 instances (drain 30s)... done\n{svc}: starting 3 instances... done\n"
               "{svc}: healthy after {d} s, version v{n}"},
]

ROUTINE = [
    ("bash", "svcctl status {svc}",
     ("{svc}: active (running) since Mon 2026-11-02 08:{m}:11 UTC; {d} days ago\n  version v{n}, 3 instances, "
     "cpu {m}%, memory {p} MiB of 2048 MiB\n  last deploy v{n} by deploy-bot, health checks passing (3/3)\n"
     "  open alerts: none")),
    ("bash", "curl -s https://{svc}.internal/healthz",
     ("{{\"status\": \"ok\", \"service\": \"{svc}\", \"version\": \"v{n}\", \"uptime_s\": {n}{d}, "
     "\"dependencies\": {{\"postgres\": \"ok\", \"redis\": \"ok\", \"ledger\": \"ok\"}}, \"p99_ms\": {m}}}")),
    ("read_file", {"path": "deploy/{svc}/values.yaml"},
     ("replicas: 3\nimage:\n  repository: registry.internal/{svc}\n  tag: v{n}\nresources:\n  requests:\n"
     "    cpu: 500m\n    memory: 512Mi\n  limits:\n    memory: 2Gi\nenv:\n  LOG_LEVEL: info\n  "
     "UPSTREAM_TIMEOUT_MS: \"{p}\"\n  FEATURE_FLAGS: \"batch-writes,async-retry\"")),
    ("bash", "grep -rn \"timeout\" src/{svc} | head -5",
     ("src/{svc}/clients.py:{d}:    timeout = settings.UPSTREAM_TIMEOUT_MS / 1000\nsrc/{svc}/clients.py:{m}:"
     "        raise UpstreamTimeout(f'{{name}} after {{timeout}}s')\nsrc/{svc}/handlers.py:{p}:    client = "
     "clients.get('{svc}', timeout=5)\nsrc/{svc}/worker.py:{n}:    # a job's timeout is the queue's visibility")),
    ("bash", "git log --oneline -5 -- src/{svc}",
     ("a{n}f Retry idempotent upstream calls once on timeout\nb{p}c Move {svc} timeouts to settings\n"
     "c{m}d Log the upstream name with every slow call\nd{d}e Bump the client library to 4.{d}\n"
     "e{n}a Split the {svc} worker into its own deployment")),
    ("bash", "kubectl get pods -n prod -l app={svc}",
     ("NAME                        READY   STATUS    RESTARTS   AGE\n{svc}-7d{d}f-x{m}kq        1/1     Running   0"
     "          {d}d\n{svc}-7d{d}f-p{p}zt        1/1     Running   0          {d}d\n{svc}-7d{d}f-r{n}mw        "
     "1/1     Running   1          {d}d")),
    ("bash", "tail -n 5 /var/log/{svc}/error.log",
     ("2026-11-0{d} 09:{m}:12 ERROR upstream ledger timed out after 5.0s (request r{n})\n2026-11-0{d} 09:{m}:40 "
     "ERROR upstream ledger timed out after 5.0s (request r{p})\n2026-11-0{d} 09:{m}:55 WARN  retry budget at "
     "{m}% for ledger")),
]
TRANSIENT = ("bash", "curl -s https://{svc}.internal/metrics | grep p99",
             "curl: (28) Operation timed out after 5001 milliseconds with 0 bytes received")
TASKS = [
    ("The {svc} service has been paging on p99 latency since this morning's deploy (v{n}). Check its health, "
    "look at the recent logs and errors, and roll out the fix from the release branch to every region once "
    "the tests pass. Tell me what you changed and what you saw."),
    ("Finance says yesterday's revenue number on the dashboard looks low. Query the analytics tables for the "
    "{svc} totals, compare with the ledger, and if the {svc} handler times out too early raise its timeout "
    "to the shared default and redeploy."),
    ("Please restart {svc} in production: its workers are stuck on a poisoned job since {m}:00. Before that, "
    "save the last logs so we can see what happened, and afterwards check that the queue drains."),
]


def _fill(template, values: dict):
    if isinstance(template, dict):
        return {k: _fill(v, values) for k, v in template.items()}
    return template.format(**values)


def make_session(rng: random.Random, index: int, events: int) -> tuple[str, str, list[dict]]:
    """(agent, title, events) of one session: a task, tool calls with results (some failing the same way
    as in other sessions, then recovering), replies, an outcome. About 300 characters an event."""
    svc = rng.choice(SERVICES)

    def values():
        return {"svc": svc, "n": rng.randint(100, 9999), "m": rng.randint(10, 59), "d": rng.randint(1, 9),
                "p": rng.randint(100, 999)}

    out: list[dict] = []
    stamp = [1_790_000_000 + index * 3600]

    def add(kind: str, **fields) -> dict:
        stamp[0] += rng.randint(3, 60)
        event = {"type": kind, "id": "sevt_" + "".join(rng.choice("0123456789abcdefghijklmnopqrstuvwxyz")
                                                       for _ in range(24)),
                 "processed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp[0])), **fields}
        out.append(event)
        return event

    def call(tool: str, command, output: str, *, error: bool = False) -> None:
        data = command if isinstance(command, dict) else {"command": command}
        use = add("agent.tool_use", name=tool, input=data)
        add("agent.tool_result", tool_use_id=use["id"], is_error=error, content=[{"type": "text", "text": output}])

    v = values()
    add("user.message", content=[{"type": "text", "text": rng.choice(TASKS).format(**v)}])
    # The body: 1 or 2 recurring problems (4 events each: the error, then the recovery), routine tool calls
    # (2 events each, about 1.5% failing transiently) and a few agent messages, shuffled; then the rollout,
    # the reply, the outcome and the idle status (5 events).
    body = max(0, events - 6)
    problems = rng.sample(PROBLEMS, min(rng.randint(1, 2), body // 4))
    spare = body - 4 * len(problems)
    notes = spare % 2 + 2 * rng.randint(0, min(2, spare // 8))
    items = problems + ["note"] * notes + ["routine"] * ((spare - notes) // 2)
    rng.shuffle(items)
    for item in items:
        v = values()
        if isinstance(item, dict):
            call(item["tool"], _fill(item["failed"], v), item["error"].format(**v), error=True)
            call(item.get("fixed_tool", item["tool"]), _fill(item["fixed"], v), item["output"].format(**v))
        elif item == "note":
            add("agent.message", content=[{"type": "text", "text": (
                f"The {svc} instances look healthy so far; the latency seems to come from the ledger upstream "
                f"timing out after 5 s. I will check the client timeout next and then the deploy values for "
                f"v{v['n']}.")}])
        elif rng.random() < 0.015:
            call(TRANSIENT[0], _fill(TRANSIENT[1], v), TRANSIENT[2], error=True)
        else:
            tool, command, output = rng.choice(ROUTINE)
            call(tool, _fill(command, v), output.format(**v))
    call("bash", f"deployctl rollout {svc} --all-regions", PROBLEMS[0]["output"].format(**values()))
    add("agent.message", content=[{"type": "text", "text": (
        f"Done: {svc} is healthy in every region (v{v['n']}). I hit {len(problems)} known snag(s) on the way and "
        "noted the commands that worked; nothing else needs your attention.")}])
    satisfied = rng.random() < 0.85
    add("span.outcome_evaluation_end", outcome_id=f"outc_{index:08d}", iteration=0,
        result="satisfied" if satisfied else "needs_revision",
        explanation="The service is healthy and the change is rolled out." if satisfied else
        "The rollout finished but the user's question about the revenue number was not answered.")
    add("session.status_idle", stop_reason={"type": "end_turn"})
    title = f"{svc}: " + out[0]["content"][0]["text"][:60]
    return AGENTS[index % len(AGENTS)], title, out


def store_files(memories: int) -> list[tuple[str, str]]:
    files = {DEPLOY_DOC: "# Deploys\n\n" + DEPLOY_FACT + "\n- Deploys need a green build of the release branch.\n"
                         "- Canary goes 10% → 50% → 100%; stop at the first error budget alert.\n"}
    for index in range(max(0, memories - 1)):
        svc = SERVICES[index % len(SERVICES)]
        kind = ("overview", "runbook", "alerts", "dependencies", "oncall")[index // len(SERVICES) % 5]
        path = f"/services/{svc}/{kind}-{index // (len(SERVICES) * 5)}.md"
        files[path] = (f"# {svc} {kind}\n\n- {svc} runs 3 replicas per region behind the internal gateway.\n"
                       f"- Its upstream timeout is set by UPSTREAM_TIMEOUT_MS in deploy/{svc}/values.yaml.\n"
                       f"- Page the {svc} on-call rotation for errors above 0.5% for 10 minutes.\n")
    return sorted(files.items())


def seed(*, sessions: int, events: int, memories: int, seed_value: int) -> dict:
    from django.db import transaction

    from dreams import sessions as session_domain
    from dreams.models import SessionEvent
    from memory import identity, stores
    from memory import store as memory_store
    from memory.access import Actor

    started = time.perf_counter()
    workspace = identity.get_or_create_workspace(name=worker.WORKSPACE)
    store = stores.create_store(workspace=workspace, name=worker.STORE, description="Fleet runbooks.")
    memory_store.fill_store(store=store, files=store_files(memories), actor=Actor(user_id="user_bench"))
    agents = {name: identity.get_or_create_agent(workspace=workspace, name=name) for name in AGENTS}
    rng = random.Random(f"claude-engine:{seed_value}")
    chars = errors = 0
    for first in range(0, sessions, SESSIONS_PER_COMMIT):
        with transaction.atomic():
            for index in range(first, min(sessions, first + SESSIONS_PER_COMMIT)):
                agent, title, evs = make_session(rng, index, events)
                chars += sum(len(json.dumps(e)) for e in evs)
                errors += sum(1 for e in evs if e.get("is_error"))
                session = session_domain.register_session(
                    workspace=workspace, agent=agents[agent], title=title, environment_id="env_bench",
                    session_id=f"sesn_bench{seed_value:04d}{index:07d}", events=evs[:BATCH_EVENTS])
                for start in range(BATCH_EVENTS, len(evs), BATCH_EVENTS):
                    session_domain.append_events(session=session, events=evs[start:start + BATCH_EVENTS])
    return {"seconds": round(time.perf_counter() - started, 3), "sessions": sessions,
            "events": SessionEvent.objects.count(), "event_chars": chars, "error_results": errors,
            "memories": len(store_files(memories))}


# --- measuring (parent side) ---------------------------------------------------------------------------

USAGE_KEYS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


def _read_share(records) -> float:
    read = sum((r.usage or {}).get("cache_read_input_tokens", 0) for r in records)
    total = sum((r.usage or {}).get(k, 0) for r in records for k in USAGE_KEYS if k != "output_tokens")
    return round(read / total, 4) if total else 0.0


def summarize(records, *, sessions: int, latency: float, concurrency: int, context_limit: int) -> dict:
    digests = [r for r in records if (r.body.get("tool_choice") or {}).get("name") == "record_digest"]
    others = [r for r in records if r not in digests]
    usage = {key: sum((r.usage or {}).get(key, 0) for r in records) for key in USAGE_KEYS}
    total_input = usage["input_tokens"] + usage["cache_creation_input_tokens"] + usage["cache_read_input_tokens"]
    tokens = sum(r.tokens for r in records)
    biggest = max(records, key=lambda r: r.tokens, default=None)
    return {
        "requests": len(records), "digest_requests": len(digests), "consolidation_requests": len(records) - len(digests),
        "failed_requests": sum(1 for r in records if r.reply_status != 200),
        "tokens_sent": tokens, "digest_tokens_sent": sum(r.tokens for r in digests),
        "tokens_per_session": round(tokens / sessions, 1), **usage,
        "cache_read_share": round(usage["cache_read_input_tokens"] / total_input, 4) if total_input else 0.0,
        "max_request_tokens": biggest.tokens if biggest else 0,
        "max_request_with_output": max((r.tokens + int(r.body.get("max_tokens") or 0) for r in records), default=0),
        "context_limit": context_limit,
        "over_context": sum(1 for r in records if r.tokens + int(r.body.get("max_tokens") or 0) > context_limit),
        "serial_latency_seconds": round(len(records) * latency, 2),
        # The least time the calls can take: digests `concurrency` at a time, consolidation turns one by one.
        "latency_floor_seconds": round((-(-len(digests) // concurrency) + len(others)) * latency, 2),
        "digest_cache_read_share": _read_share(digests), "consolidation_cache_read_share": _read_share(others),
    }


def run_size(size: int, events: int, args, tmp: Path, template: Path, *, FakeMessagesAPI, Brain) -> list[dict]:
    home = harness.fresh_home(tmp, f"size-{size}", template)
    seeded = harness.worker(SCRIPT, home, "seed", "--sessions", str(size), "--events", str(events),
                            "--memories", str(args.memories), "--seed", str(args.seed),
                            timeout=args.timeout)
    print(f"  {size} sessions: wrote {seeded['events']} events ({seeded['event_chars'] / seeded['events']:.0f} "
          f"characters an event, {seeded['error_results']} failed tool calls) in {seeded['seconds']:.1f} s",
          flush=True)
    rows = []
    brain = Brain(verify=VERIFY)
    with FakeMessagesAPI(api_key=FAKE_KEY, latency=args.latency, context_limit=args.context_limit,
                         handler=brain) as fake:
        env = {"ANTHROPIC_API_KEY": FAKE_KEY, "ANTHROPIC_BASE_URL": fake.url, "ANTHROPIC_AUTH_TOKEN": None,
               "REVERIE_CLAUDE_CONCURRENCY": args.concurrency, "REVERIE_CLAUDE_CONTEXT_TOKENS": args.context_limit}
        for run in ("first", "rerun"):
            before = len(fake.requests)
            ran = harness.worker(worker.SCRIPT, home, "dream", "--engine", MODEL, env=env, timeout=args.timeout)
            if "refused" in ran:
                raise SystemExit(f"The dream was refused: {ran['refused']}")
            records = fake.requests[before:]
            stats = summarize(records, sessions=size, latency=args.latency, concurrency=args.concurrency,
                              context_limit=args.context_limit)
            progress = ran.get("progress") or {}
            row = {"sessions": size, "run": run, "events": seeded["events"], "events_per_session": events,
                   "status": ran["status"], "error": ran["error"], "engine": ran["engine"],
                   "wall_seconds": ran["seconds"], **stats,
                   "overlap": round(stats["serial_latency_seconds"] / ran["seconds"], 2) if ran["seconds"] else None,
                   "digests_made": progress.get("digests_made"), "digests_cached": progress.get("digests_cached"),
                   "rounds": progress.get("rounds"), "changes": ran["changes"], "flagged": ran["flagged"], "warnings": ran["warnings"],
                   "dream_usage": ran["usage"], "rss_peak_mb": round(ran["maxrss_kb_peak"] / 1024, 1),
                   "seed_seconds": seeded["seconds"]}
            row["usage_matches"] = all(ran["usage"][k] == stats[k] for k in ran["usage"])
            rows.append(row)
            print(f"  {size} sessions, {run}: {row['wall_seconds']:.1f} s, {row['digest_requests']} digest + "
                  f"{row['consolidation_requests']} consolidation requests, {row['tokens_sent']:,} tokens, dream "
                  f"{row['status']}" + (f" ({row['error']})" if row["error"] else ""), flush=True)
    return rows


def problems(rows: list[dict]) -> list[str]:
    found = []
    for r in rows:
        where = f"{r['sessions']} sessions ({r['run']})"
        if r["over_context"]:
            found.append(f"{where}: {r['over_context']} requests exceeded the context limit of {r['context_limit']} "
                         f"(largest {r['max_request_with_output']} with max_tokens)")
        if r["failed_requests"]:
            found.append(f"{where}: the fake refused {r['failed_requests']} requests")
        if r["status"] != "completed":
            found.append(f"{where}: the dream ended {r['status']}: {r['error']}")
        if r["engine"] != "claude":
            found.append(f"{where}: the dream ran on {r['engine']}, not the Claude engine")
        if not r["usage_matches"]:
            found.append(f"{where}: the dream's recorded usage {r['dream_usage']} differs from what the fake reported")
        if r["run"] == "rerun" and r["digest_requests"]:
            found.append(f"{where}: the rerun sent {r['digest_requests']} digest requests (expected 0: all cached)")
    return found


def print_table(rows: list[dict], args, events_by_size: dict[int, int]) -> None:
    print(f"\nClaude engine ({MODEL}) against the fake Messages API: {args.latency} s a call, concurrency "
          f"{args.concurrency}, context {args.context_limit:,} tokens, {args.memories} memories")
    head = (f"{'sessions':>8} {'run':<5} {'events':>7} {'wall s':>7} {'floor s':>7} {'ratio':>5} {'overlap':>7} "
            f"{'digest':>6} "
            f"{'consol':>6} {'tokens sent':>12} {'tok/session':>11} {'input':>11} {'output':>8} {'cache write':>11} "
            f"{'cache read':>11} {'read %':>6} {'max request':>11} {'changes':>7}")
    print(head)
    previous = {}
    for r in rows:
        prev = previous.get(r["run"])
        ratio = f"{r['wall_seconds'] / prev['wall_seconds']:.1f}" if prev else "-"
        print(f"{r['sessions']:>8} {r['run']:<5} {r['events']:>7} {r['wall_seconds']:>7.1f} "
              f"{r['latency_floor_seconds']:>7.1f} {ratio:>5} "
              f"{r['overlap']:>6.1f}x {r['digest_requests']:>6} {r['consolidation_requests']:>6} "
              f"{r['tokens_sent']:>12,} {r['tokens_per_session']:>11,.0f} {r['input_tokens']:>11,} "
              f"{r['output_tokens']:>8,} {r['cache_creation_input_tokens']:>11,} {r['cache_read_input_tokens']:>11,} "
              f"{100 * r['cache_read_share']:>5.1f}% {r['max_request_tokens']:>11,} {r['changes']:>7}")
        previous[r["run"]] = r
    print("floor: the least time the calls take at this latency (digests `concurrency` at a time, consolidation "
          "turns one after another); ratio: wall time over the previous size's (10x the sessions each step); overlap: "
          "requests x latency / wall time (calls in flight on average); digest/consol: requests; tokens sent: what the fake "
          "counted in every request (ceil(chars/4) a block); input/cache write/cache read: the usage it reported "
          "(they add up to tokens sent); read %: cache read / all input; max request: the largest request, "
          f"against a context limit of {args.context_limit:,} (max_tokens included it peaked at "
          f"{max(r['max_request_with_output'] for r in rows):,}).")
    lowered = {s: e for s, e in events_by_size.items() if e != args.events}
    if lowered:
        print("NOTE: fewer events per session for " + ", ".join(f"{s} sessions ({e} events)" for s, e in
                                                                 lowered.items()) + f" than --events {args.events}.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,1000", help="Session counts (default 10,100,1000).")
    parser.add_argument("--events", type=int, default=200, help="Events per session (default 200).")
    parser.add_argument("--events-large", type=int, default=None,
                        help="Events per session for sizes of 1,000 sessions and more (default: --events).")
    parser.add_argument("--latency", type=float, default=0.2, help="Seconds the fake waits before each answer.")
    parser.add_argument("--concurrency", type=int, default=4, help="REVERIE_CLAUDE_CONCURRENCY (default 4).")
    parser.add_argument("--context-limit", type=int, default=200_000,
                        help="The fake model's context window, and REVERIE_CLAUDE_CONTEXT_TOKENS (default 200000).")
    parser.add_argument("--memories", type=int, default=100, help="Memories in the store (default 100).")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=1800, help="Seconds allowed per seeding or dream.")
    parser.add_argument("--output", default=str(harness.REPO / "bench" / "results" / "claude_engine.json"))
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    events_by_size = {s: (args.events_large if args.events_large and s >= 1000 else args.events) for s in sizes}

    from bench.dreameval.fakebrain import Brain
    from tests.fakes.messages_api import FakeMessagesAPI

    rows = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="reverie-claude-bench-") as raw_tmp:
        tmp = Path(raw_tmp)
        template = harness.migrated_template(tmp)
        for size in sizes:
            rows += run_size(size, events_by_size[size], args, tmp, template, FakeMessagesAPI=FakeMessagesAPI,
                             Brain=Brain)
    print_table(rows, args, events_by_size)
    found = problems(rows)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({
        "model": MODEL, "latency_seconds": args.latency, "concurrency": args.concurrency,
        "context_limit": args.context_limit, "memories": args.memories, "seed": args.seed,
        "events_per_session": {str(s): e for s, e in events_by_size.items()},
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "total_seconds": round(time.perf_counter() - started, 1), "problems": found, "rows": rows}, indent=1) + "\n")
    print(f"results: {output} (whole run {time.perf_counter() - started:.0f} s)")
    if found:
        print("\nFAILED:\n  " + "\n  ".join(found), file=sys.stderr)
        raise SystemExit(1)


def worker_main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p_seed = sub.add_parser("seed")
    p_seed.add_argument("--sessions", type=int, required=True)
    p_seed.add_argument("--events", type=int, required=True)
    p_seed.add_argument("--memories", type=int, required=True)
    p_seed.add_argument("--seed", type=int, default=0)
    p_seed.add_argument("--result", required=True)
    args = parser.parse_args()
    harness.setup_django()
    result = seed(sessions=args.sessions, events=args.events, memories=args.memories, seed_value=args.seed)
    Path(args.result).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "seed":
        worker_main()
    else:
        main()
