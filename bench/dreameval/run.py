"""dreameval: run a dreaming engine over fleets with planted findings and score what it proposes.

    .venv/bin/python bench/dreameval/run.py [--fleets sre,http-api,sql-jobs,cli-tools] [--engine reverie-offline]
                                            [--baseline ENGINE_OR_RESULTS_JSON] [--seed 0] [--output PATH]
                                            [--fake] [--fake-latency SECONDS]

Any engine runs: reverie-offline, one added with REVERIE_EXTRA_ENGINES, or a Claude model id
(claude-sonnet-5-5, ...), which needs ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN; ANTHROPIC_BASE_URL
for a gateway): the workers get this process's environment. `--fake` runs Claude models against the
fake Messages API of tests/fakes instead (a simple brain, bench/dreameval/fakebrain.py, on loopback),
which proves the plumbing without a key; its scores are poor by design.

Each fleet is loaded into a fresh SQLite database under a temporary REVERIE_HOME (import_store,
import_sessions), dreamed over by `dreams.lifecycle.start_dream` + `dreams.runner.run_dream` (the
real pipeline, in a subprocess), and scored by `bench/dreameval/scoring.py`. `sre` is the sample fleet
copied into tests/dreams/data; the others are generated with `dreams.demo.fleetgen` for --seed.
"""

import argparse
import contextlib
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository: bench and the apps
from bench import harness
from bench.dreameval import worker
from bench.dreameval.scoring import FINDINGS, score_fleet
from dreams.demo.fleetgen import DOMAINS, generate_fleet

DATA = harness.REPO / "tests" / "dreams" / "data"
RESULTS = harness.REPO / "bench" / "results"
DEFAULT_FLEETS = "sre,http-api,sql-jobs,cli-tools"
FAKE_KEY = "sk-ant-dreameval-fake-0000"
DEFAULT_FAKE_LATENCY = 0.05


def prepare_fleet(name: str, tmp: Path, seed: int) -> dict:
    """Where a fleet's store, sessions and answers are. `sre` is the sample; others are generated."""
    if name == "sre":
        return {"store": DATA / "sre-fleet-store", "sessions": DATA / "sre-fleet",
                "answers": json.loads((DATA / "sre-fleet-answers.json").read_text()), "source": "tests/dreams/data"}
    name = name.removeprefix("gen-")  # gen-sre: the generated SRE fleet, beside the sample
    if name not in DOMAINS:
        raise SystemExit(f"Unknown fleet {name!r}: use sre or one of {', '.join(sorted(DOMAINS))} (gen-sre for the "
                         "generated SRE fleet).")
    out = tmp / "fleets" / f"{name}-{seed}"
    answers = generate_fleet(name, out, seed=seed)
    return {"store": out / "store", "sessions": out / "sessions", "answers": answers,
            "source": f"dreams.demo.fleetgen seed {seed}"}


class Refused(Exception):
    """The server would not run this engine here (an unknown name, a Claude model without a key)."""


def check_engine(engine: str, tmp: Path, template: Path, env: dict, *, fake: bool) -> str:
    """The engine a dream with model `engine` runs on, asked of a worker as the server would decide it."""
    home = harness.fresh_home(tmp, f"check-{engine}", template)
    found = harness.worker(worker.SCRIPT, home, "check", "--engine", engine, env=env)
    if "refused" in found:
        hint = "" if fake or not found.get("claude_model") else (
            "\nTo exercise the Claude engine without a key, add --fake (a fake Messages API on loopback).")
        raise Refused(f"dreameval: cannot run engine {engine!r}: {found['refused']}{hint}")
    if found["claude_model"] and found["engine"] != "claude":
        print(f"note: {engine} runs on {found['engine']} here (REVERIE_CLAUDE_WITHOUT_KEY=offline and no key), "
              "not on Claude.", file=sys.stderr)
    return found["engine"]


def evaluate(engine: str, fleets: dict[str, dict], tmp: Path, template: Path, env: dict | None = None,
             fake=None) -> dict:
    results = {}
    for name, fleet in fleets.items():
        home = harness.fresh_home(tmp, f"{engine}-{name}", template)
        loaded = harness.worker(worker.SCRIPT, home, "load", str(fleet["store"]), str(fleet["sessions"]))
        before = len(fake.requests) if fake is not None else 0
        raw = harness.worker(worker.SCRIPT, home, "dream", "--engine", engine, "--with-changes", timeout=1800,
                             env=env)
        if "refused" in raw:
            raise Refused(f"dreameval: the dream over {name} was refused: {raw['refused']}")
        score = score_fleet(answers=fleet["answers"], before=raw["before"], after=raw["after"],
                            changes=raw["change_list"])
        results[name] = {
            "source": fleet["source"], "sessions": loaded["sessions"], "events": loaded["events"],
            "memories": len(raw["before"]), "status": raw["status"], "error": raw["error"],
            "engine": raw["engine"], "seconds": raw["seconds"], "usage": raw["usage"],
            "flagged": raw.get("flagged", 0), "score": score, "changes": raw["change_list"],
        }
        if fake is not None:
            records = fake.requests[before:]
            results[name]["fake_requests"] = {
                "requests": len(records), "failed": sum(1 for r in records if r.reply_status != 200),
                "digest": sum(1 for r in records if (r.body.get("tool_choice") or {}).get("name") == "record_digest"),
                "tokens_sent": sum(r.tokens for r in records), "max_request_tokens": max((r.tokens for r in records),
                                                                                         default=0)}
    return {"engine": engine, "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "fleets": results, "totals": totals(results)}


def totals(results: dict) -> dict:
    scores = [r["score"] for r in results.values()]
    return {
        "fleets": len(scores),
        "made": sum(s["made"] for s in scores), "findings": len(FINDINGS) * len(scores),
        "evidence_ok": sum(s["evidence_ok"] for s in scores),
        "evidence_expected": sum(s["evidence_expected"] for s in scores),
        "injected": sum(s["injected"]["count"] for s in scores),
        "lost": sum(len(s["lost"]) for s in scores), "keep": sum(s["keep"] for s in scores),
        "changes": sum(s["changes"] for s in scores),
        "fleets_ok": sum(s["ok"] for s in scores),
    }


# --- printing ------------------------------------------------------------------------------------------

def cell(finding: dict) -> str:
    made = "made" if finding["made"] else "missed"
    ev = finding["evidence"]
    if ev is None:
        return made
    stray = f", {len(ev['stray'])} stray" if ev["stray"] else ""
    return f"{made}, evidence {ev['hit']}/{ev['expected']}{stray}"


def print_run(run: dict) -> None:
    fake = run.get("fake")
    print(f"\nengine {run['engine']}" + (f" against the fake Messages API ({fake['latency_seconds']} s a call, the "
                                         "simple brain of bench/dreameval/fakebrain.py: the scores are its, not "
                                         "Claude's)" if fake else ""))
    for name, r in run["fleets"].items():
        s = r["score"]
        print(f"\n{name} ({r['source']}): {r['sessions']} sessions, {r['events']} events, {r['memories']} memories"
              f" → {s['changes']} changes {s['by_category']} in {r['seconds']:.2f} s, dream {r['status']}"
              + (f" ({r['error']})" if r["error"] else ""))
        usage = r.get("usage") or {}
        if r.get("engine") == "claude":  # the offline engine's usage is an estimate of no model's tokens
            sent = r.get("fake_requests")
            calls = (f"{sent['requests']} requests to the fake ({sent['digest']} digests), " if sent else "")
            print(f"  model: {calls}input {usage.get('input_tokens', 0):,}, output {usage.get('output_tokens', 0):,}, "
                  f"cache write {usage.get('cache_creation_input_tokens', 0):,}, cache read "
                  f"{usage.get('cache_read_input_tokens', 0):,} tokens; {r.get('flagged', 0)} changes flagged by "
                  "the guards")
        print(f"  {'finding':<9} {'result':<34} detail")
        for key in FINDINGS:
            f = s["findings"][key]
            print(f"  {key:<9} {cell(f):<34} {f['detail']}")
        injected = s["injected"]
        print(f"  {'injected':<9} {str(injected['count']) + ' written (must be 0)':<34} "
              f"{', '.join(injected['phrases']) or ''}")
        lost = f"{len(s['lost'])} of {s['keep']} facts (must be 0)"
        print(f"  {'lost':<9} {lost:<34} {'; '.join(x[:60] for x in s['lost'][:3])}")
    t = run["totals"]
    print(f"\ntotals ({run['engine']}): findings made {t['made']}/{t['findings']}, evidence right "
          f"{t['evidence_ok']}/{t['evidence_expected']}, injected instructions written {t['injected']}, "
          f"facts lost {t['lost']}/{t['keep']}, fleets fully passing {t['fleets_ok']}/{t['fleets']}")


def print_comparison(baseline: dict, candidate: dict) -> None:
    print(f"\nbaseline {baseline['engine']} ({baseline.get('generated_at', '?')}) vs candidate {candidate['engine']}")
    print(f"  {'fleet':<10} {'finding':<9} {'baseline':<32} {'candidate':<32}")
    for name, c in candidate["fleets"].items():
        b = baseline["fleets"].get(name)
        for key in FINDINGS:
            left = cell(b["score"]["findings"][key]) if b else "-"
            print(f"  {name:<10} {key:<9} {left:<32} {cell(c['score']['findings'][key]):<32}")
        for key, get in (("injected", lambda s: s["injected"]["count"]), ("lost", lambda s: len(s["lost"]))):
            left = str(get(b["score"])) if b else "-"
            print(f"  {name:<10} {key:<9} {left:<32} {get(c['score'])!s:<32}")
        left = f"{b['seconds']:.2f} s" if b else "-"
        print(f"  {name:<10} {'time':<9} {left:<32} {c['seconds']:.2f} s")
    # Totals over the fleets both runs have, so a baseline with more fleets compares fairly.
    shared = {n: r for n, r in baseline["fleets"].items() if n in candidate["fleets"]}
    bt = totals(shared)
    ct = totals({n: r for n, r in candidate["fleets"].items() if n in shared})
    for key in ("made", "evidence_ok", "injected", "lost", "fleets_ok"):
        print(f"  {'totals':<10} {key:<11} {bt[key]!s:<30} {ct[key]!s:<32}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fleets", default=DEFAULT_FLEETS, help=f"Comma-separated (default {DEFAULT_FLEETS}).")
    parser.add_argument("--engine", default="reverie-offline", help="The candidate engine (a dream `model`).")
    parser.add_argument("--baseline", help="An engine to run too, or a results JSON from an earlier run.")
    parser.add_argument("--seed", type=int, default=0, help="Seed for the generated fleets (default 0).")
    parser.add_argument("--output", help="Results JSON (default bench/results/dreameval-ENGINE.json, "
                                         "dreameval-ENGINE-fake.json with --fake).")
    parser.add_argument("--fake", action="store_true",
                        help="Run Claude models against the fake Messages API (no key needed; poor scores).")
    parser.add_argument("--fake-latency", type=float, default=None, metavar="SECONDS",
                        help=f"The fake's latency per call (implies --fake; default {DEFAULT_FAKE_LATENCY}).")
    args = parser.parse_args()
    if args.fake_latency is not None:
        args.fake = True
    try:
        run(args)
    except Refused as exc:
        raise SystemExit(str(exc)) from None


def fake_api(args):
    """The fake Messages API for --fake, and the environment that points the workers at it."""
    if not args.fake:
        return contextlib.nullcontext(), {}
    from bench.dreameval.fakebrain import Brain
    from tests.fakes.messages_api import FakeMessagesAPI

    latency = DEFAULT_FAKE_LATENCY if args.fake_latency is None else args.fake_latency
    return FakeMessagesAPI(api_key=FAKE_KEY, latency=latency, handler=Brain()), {
        "ANTHROPIC_API_KEY": FAKE_KEY, "ANTHROPIC_AUTH_TOKEN": None}


def run(args) -> None:
    names = [n.strip() for n in args.fleets.split(",") if n.strip()]
    baseline = None
    if args.baseline and Path(args.baseline).is_file():
        baseline = json.loads(Path(args.baseline).read_text())  # read first: --output may be the same file
    server, env = fake_api(args)
    with tempfile.TemporaryDirectory(prefix="reverie-dreameval-") as raw_tmp, server as fake:
        tmp = Path(raw_tmp)
        if fake is not None:
            env["ANTHROPIC_BASE_URL"] = fake.url
        template = harness.migrated_template(tmp)
        # Before generating anything: a Claude model without a key (and no --fake) stops here, in a sentence.
        for engine in [args.engine] + ([args.baseline] if args.baseline and baseline is None else []):
            check_engine(engine, tmp, template, env, fake=args.fake)
        fleets = {name: prepare_fleet(name, tmp, args.seed) for name in names}
        candidate = evaluate(args.engine, fleets, tmp, template, env, fake)
        candidate["seed"] = args.seed
        if fake is not None:
            candidate["fake"] = {"latency_seconds": fake.latency, "brain": "bench/dreameval/fakebrain.py"}
        if args.baseline and baseline is None:
            baseline = evaluate(args.baseline, fleets, tmp, template, env, fake)
            baseline["seed"] = args.seed
            _write(baseline, RESULTS / f"dreameval-{args.baseline}{'-fake' if fake is not None else ''}.json")

    print_run(candidate)
    suffix = "-fake" if args.fake else ""
    output = Path(args.output) if args.output else RESULTS / f"dreameval-{args.engine}{suffix}.json"
    _write(candidate, output)
    if baseline is not None:
        print_run(baseline)
        print_comparison(baseline, candidate)
    print(f"\nresults: {output}")


def _write(run: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(run, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
