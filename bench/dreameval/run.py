"""dreameval: run a dreaming engine over fleets with planted findings and score what it proposes.

    .venv/bin/python bench/dreameval/run.py [--fleets sre,http-api,sql-jobs,cli-tools] [--engine reverie-offline]
                                            [--baseline ENGINE_OR_RESULTS_JSON] [--seed 0] [--output PATH]

Each fleet is loaded into a fresh SQLite database under a temporary REVERIE_HOME (import_store,
import_sessions), dreamed over by `dreams.lifecycle.start_dream` + `dreams.runner.run_dream` (the
real pipeline, in a subprocess), and scored by `dreams.fleetgen.scoring`. `sre` is the sample fleet
copied into tests/dreams/data; the others are generated with `dreams.fleetgen` for --seed.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness

sys.path.insert(0, str(harness.REPO))
from dreams.fleetgen import DOMAINS, generate_fleet
from dreams.fleetgen.scoring import FINDINGS, score_fleet

DATA = harness.REPO / "tests" / "dreams" / "data"
RESULTS = harness.REPO / "bench" / "results"
DEFAULT_FLEETS = "sre,http-api,sql-jobs,cli-tools"


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
            "source": f"dreams.fleetgen seed {seed}"}


def evaluate(engine: str, fleets: dict[str, dict], tmp: Path, template: Path) -> dict:
    results = {}
    for name, fleet in fleets.items():
        home = harness.fresh_home(tmp, f"{engine}-{name}", template)
        loaded = harness.worker(home, "load", str(fleet["store"]), str(fleet["sessions"]))
        raw = harness.worker(home, "dream", "--engine", engine, "--with-changes", timeout=1800)
        score = score_fleet(answers=fleet["answers"], before=raw["before"], after=raw["after"],
                            changes=raw["change_list"])
        results[name] = {
            "source": fleet["source"], "sessions": loaded["sessions"], "events": loaded["events"],
            "memories": len(raw["before"]), "status": raw["status"], "error": raw["error"],
            "engine": raw["engine"], "seconds": raw["seconds"], "usage": raw["usage"], "score": score,
            "changes": raw["change_list"],
        }
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
    print(f"\nengine {run['engine']}")
    for name, r in run["fleets"].items():
        s = r["score"]
        print(f"\n{name} ({r['source']}): {r['sessions']} sessions, {r['events']} events, {r['memories']} memories"
              f" → {s['changes']} changes {s['by_category']} in {r['seconds']:.2f} s, dream {r['status']}"
              + (f" ({r['error']})" if r["error"] else ""))
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
    parser.add_argument("--output", help="Results JSON (default bench/results/dreameval-ENGINE.json).")
    args = parser.parse_args()

    names = [n.strip() for n in args.fleets.split(",") if n.strip()]
    baseline = None
    if args.baseline and Path(args.baseline).is_file():
        baseline = json.loads(Path(args.baseline).read_text())  # read first: --output may be the same file
    with tempfile.TemporaryDirectory(prefix="reverie-dreameval-") as raw_tmp:
        tmp = Path(raw_tmp)
        fleets = {name: prepare_fleet(name, tmp, args.seed) for name in names}
        template = harness.migrated_template(tmp)
        candidate = evaluate(args.engine, fleets, tmp, template)
        candidate["seed"] = args.seed
        if args.baseline and baseline is None:
            baseline = evaluate(args.baseline, fleets, tmp, template)
            baseline["seed"] = args.seed
            _write(baseline, RESULTS / f"dreameval-{args.baseline}.json")

    print_run(candidate)
    output = Path(args.output) if args.output else RESULTS / f"dreameval-{args.engine}.json"
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
