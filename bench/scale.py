"""Scale: an offline dream over 10, 100 and 1,000 generated sessions against a 2,000-memory store.

    .venv/bin/python bench/scale.py [--sizes 10,100,1000] [--memories 2000] [--events 200] [--engine reverie-offline]

One fleet is generated (dreams.demo.fleetgen, --scale mode: routine sessions of about --events events, no
planted findings); for each size a fresh SQLite database under a temporary REVERIE_HOME gets the
store and the first N sessions (import_store, import_sessions), then a separate process runs the
dream through dreams.lifecycle.start_dream + dreams.runner.run_dream, so sessions stream from the
database as in production. Measured in that process: wall time of run_dream and peak RSS
(getrusage ru_maxrss), next to the RSS it had before the dream started.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: bench and the apps
from bench import harness
from bench.dreameval import worker
from dreams.demo.fleetgen import generate_scale_fleet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,1000", help="Session counts (default 10,100,1000).")
    parser.add_argument("--memories", type=int, default=2000)
    parser.add_argument("--events", type=int, default=200, help="Events per session (default 200).")
    parser.add_argument("--domain", default="sre")
    parser.add_argument("--engine", default="reverie-offline")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=3600, help="Seconds allowed per import or dream.")
    parser.add_argument("--output", default=str(harness.REPO / "bench" / "results" / "scale.json"))
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))

    rows = []
    with tempfile.TemporaryDirectory(prefix="reverie-scale-") as raw_tmp:
        tmp = Path(raw_tmp)
        started = time.perf_counter()
        fleet = tmp / "fleet"
        generate_scale_fleet(args.domain, fleet, seed=args.seed, sessions=sizes[-1],
                             events_per_session=args.events, memories=args.memories)
        sessions = sorted((fleet / "sessions").glob("*.json"))
        print(f"generated {len(sessions)} sessions and {args.memories} memories in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        template = harness.migrated_template(tmp)
        for size in sizes:
            home = harness.fresh_home(tmp, f"size-{size}", template)
            loaded = harness.worker(worker.SCRIPT, home, "load", str(fleet / "store"),
                                    *map(str, sessions[:size]), timeout=args.timeout)
            ran = harness.worker(worker.SCRIPT, home, "dream", "--engine", args.engine, timeout=args.timeout)
            if ran["status"] != "completed":
                print(f"  the dream over {size} sessions ended {ran['status']}: {ran['error']}", flush=True)
            row = {"sessions": size, "events": loaded["events"], "memories": args.memories,
                   "import_sessions_seconds": loaded["import_sessions_seconds"], "status": ran["status"],
                   "dream_seconds": ran["seconds"], "changes": ran["changes"],
                   "rss_before_mb": round(ran["maxrss_kb_before"] / 1024, 1),
                   "rss_peak_mb": round(ran["maxrss_kb_peak"] / 1024, 1)}
            row["rss_growth_mb"] = round(row["rss_peak_mb"] - row["rss_before_mb"], 1)
            if rows:
                prev = rows[-1]
                row["time_ratio"] = round(row["dream_seconds"] / prev["dream_seconds"], 2)
                row["size_ratio"] = round(size / prev["sessions"], 2)
                row["marginal_ms_per_session"] = round(
                    1000 * (row["dream_seconds"] - prev["dream_seconds"]) / (size - prev["sessions"]), 2)
            rows.append(row)
            print(f"  {size} sessions: dream {row['dream_seconds']:.2f} s, peak RSS {row['rss_peak_mb']} MB", flush=True)

    print(f"\noffline dream ({args.engine}) over a {args.memories}-memory store, {args.events} events per session")
    print(f"{'sessions':>8} {'events':>8} {'import s':>9} {'dream s':>8} {'ratio':>7} {'ms/session*':>11} "
          f"{'peak RSS MB':>11} {'growth MB':>9} {'changes':>7}")
    for r in rows:
        ratio = f"{r['time_ratio']:.2f}" if "time_ratio" in r else "-"
        marginal = f"{r['marginal_ms_per_session']:.2f}" if "marginal_ms_per_session" in r else "-"
        print(f"{r['sessions']:>8} {r['events']:>8} {r['import_sessions_seconds']:>9.1f} {r['dream_seconds']:>8.2f} "
              f"{ratio:>7} {marginal:>11} {r['rss_peak_mb']:>11} {r['rss_growth_mb']:>9} {r['changes']:>7}")
    print("ratio: dream time over the previous size's (linear is the size ratio, 10 per 10× sessions); "
          "*ms/session: marginal dream time per added session; growth: peak RSS minus RSS before the dream.")
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({"engine": args.engine, "domain": args.domain, "memories": args.memories,
                                  "events_per_session": args.events, "seed": args.seed,
                                  "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                  "rows": rows}, indent=1) + "\n")
    print(f"results: {output}")


if __name__ == "__main__":
    main()
