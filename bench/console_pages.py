#!/usr/bin/env python
"""Reverie console benchmark: does every console page render in under 300 ms on a 100k-memory store?

One run, bounded, loopback only:

1. Makes a throwaway REVERIE_HOME (or, with DATABASE_URL, a uniquely named
   PostgreSQL database, dropped at the end) and migrates it.
2. Seeds a store of --memories (default 100,000) memories with memory_api.py's
   seeder (the same folder tree, through memory.store.fill_store), then loads the
   demo workspace, runs a dream on its store and gives a few memories of the big
   store some history, so session, dream and history pages have real content.
3. Starts gunicorn as `make run` does, signs in through the login form and
   requests each page --samples times (after --warmup), sequentially.
4. Prints median and p95 per page and writes bench/results/console_pages.json.

The time is the whole request on loopback (server render plus a local round
trip), so it bounds the server-side render from above.

    .venv/bin/python bench/console_pages.py                     # 100,000 memories
    .venv/bin/python bench/console_pages.py --memories 10000 --samples 10
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: bench and the apps
from bench import harness, memory_api  # memory_api: its seeder, for the same folder tree

ROOT = harness.REPO
DEFAULT_OUTPUT = ROOT / "bench" / "results" / "console_pages.json"
TARGET_MS = 300
USERNAME, PASSWORD = "bench-operator", "bench-password-not-secret"


def prepare_main(seeded_path: str, out_path: str) -> None:
    """After seeding: a superuser, the demo workspace with a finished dream, some history; the page URLs."""
    harness.setup_django()

    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from dreams import runner
    from dreams.demo.loader import load_demo
    from dreams.lifecycle import SessionFilter, start_dream
    from dreams.models import Dream, Session
    from memory.access import Actor, Principal
    from memory.models import Memory, MemoryStore, MemoryVersion, Workspace
    from memory.store import update_memory

    seeded = json.loads(Path(seeded_path).read_text())
    get_user_model().objects.create_superuser(username=USERNAME, password=PASSWORD)
    big_store = MemoryStore.objects.get(id=seeded["stores"]["large"]["id"])
    workspace = Workspace.objects.get(id=seeded["workspace_id"])
    # A memory deep in the tree gets ten versions, so history and compare have something to show.
    deep = Memory.objects.filter(store=big_store).order_by("-path").first()
    for revision in range(10):
        update_memory(store=big_store, memory_id=deep.id, actor=Actor(user_id="user_bench"),
                      content=f"# Revision {revision}\n\nRestart the worker after {revision + 1} minutes.\n")
    demo = load_demo()
    dream = start_dream(principal=Principal(workspace=demo.workspace, user_id="user_bench"),
                        store_id=demo.store_id, model_id="reverie-offline", session_filter=SessionFilter())
    runner.run_dream(dream.id)
    dream = Dream.objects.get(id=dream.id)
    session = Session.objects.filter(workspace=demo.workspace).order_by("-event_count").first()
    deep_folder = deep.path.rsplit("/", 1)[0] + "/"
    w, s = workspace.id, big_store.id
    dw, ds = demo.workspace.id, demo.store_id
    versions = list(MemoryVersion.objects.filter(memory_id=deep.id).order_by("seq").values_list("id", flat=True))
    pages = {
        "workspace (store list)": reverse("console:workspace", args=[w]),
        "store root folder": reverse("console:store", args=[w, s]),
        "deep folder": reverse("console:store", args=[w, s]) + f"?prefix={deep_folder}",
        "memory page": reverse("console:memory", args=[w, s, deep.id]),
        "memory history": reverse("console:memory_history", args=[w, s, deep.id]),
        "search by path": reverse("console:store_search", args=[w, s]) + "?q=runbook-07",
        "search in content": reverse("console:store_search", args=[w, s]) + "?q=failover&content=on",
        # Worst case: a word no memory holds scans the most a search page may (then offers "keep searching").
        "search, no match": reverse("console:store_search", args=[w, s]) + "?q=zebra-crossing&content=on",
        "activity feed": reverse("console:store_activity", args=[w, s]),
        "activity, deletions only": reverse("console:store_activity", args=[w, s]) + "?operation=deleted",
        "activity, until 2020 (none)": reverse("console:store_activity", args=[w, s]) + "?until=2020-01-01",
        "store settings": reverse("console:store_edit", args=[w, s]),
        "schedule": reverse("console:store_schedule", args=[w, s]),
        "dream form": reverse("console:dream_new", args=[w, s]),
        "dream history": reverse("console:store_dreams", args=[w, s]),
        "agents and keys": reverse("console:agents", args=[w]),
        "grants matrix": reverse("console:grants", args=[w]),
        "sessions list (demo)": reverse("console:sessions", args=[dw]),
        "transcript (demo)": reverse("console:session", args=[dw, session.id]),
        "dream review (demo)": reverse("console:dream", args=[dw, ds, dream.id]),
    }
    if len(versions) >= 2:
        pages["compare two versions"] = (reverse("console:memory_compare", args=[w, s, deep.id])
                                         + f"?a={versions[0]}&b={versions[-1]}")
    Path(out_path).write_text(json.dumps({"pages": pages, "dream_status": dream.status}))


def sign_in(client, base: str) -> None:
    login = client.get(base + "/accounts/login/")
    login.raise_for_status()
    token = client.cookies.get("csrftoken")
    response = client.post(base + "/accounts/login/", data={"username": USERNAME, "password": PASSWORD,
                                                   "csrfmiddlewaretoken": token},
                           headers={"Referer": base + "/accounts/login/"})
    if response.status_code != 302:
        raise SystemExit(f"sign in failed: {response.status_code}")


def measure(client, url: str, warmup: int, samples: int) -> dict:
    for _ in range(warmup):
        client.get(url)
    times, status, size = [], None, 0
    for _ in range(samples):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        status, size = response.status_code, len(response.content)
        if status != 200:
            raise SystemExit(f"{url} answered {status}:\n{response.text[:2000]}")
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 1),
        "max_ms": round(times[-1], 1),
        "bytes": size,
    }


def run(args) -> dict:
    import httpx2 as httpx  # the HTTP client the anthropic SDK brings

    harness.loopback_only()
    tmp = Path(tempfile.mkdtemp(prefix="reverie-bench-console-"))
    database = harness.Database(os.environ.get("DATABASE_URL"))
    server = None
    try:
        home = harness.fresh_home(tmp, "home")
        database.create()
        env = harness.child_env(home, database_url=database.url,
                                extra={"REVERIE_MAX_MEMORIES_PER_STORE": memory_api.MAX_MEMORIES})
        print(f"· {database.describe()}, REVERIE_HOME {home}", flush=True)
        harness.migrate(env)
        spec, seeded, prepared = tmp / "spec.json", tmp / "seeded.json", tmp / "prepared.json"
        spec.write_text(json.dumps({"sizes": {"large": args.memories}, "seed": 0}))
        print(f"· seeding {args.memories:,} memories", flush=True)
        harness.run_script(memory_api.__file__, "--seed-into", str(spec), str(seeded), env=env, timeout=3600)
        print("· demo workspace, a dream, some history", flush=True)
        harness.run_script(__file__, "--prepare", str(seeded), str(prepared), env=env, timeout=600)
        pages = json.loads(prepared.read_text())["pages"]
        harness.run_script("manage.py", "collectstatic", "--noinput", "-v0", env=env, timeout=300)
        server = harness.Server(env, tmp / "server.log")
        server.start()
        print(f"· gunicorn on {server.url}; {args.samples} samples per page", flush=True)
        results = {}
        with httpx.Client(timeout=60) as client:
            sign_in(client, server.url)
            for title, path in pages.items():
                results[title] = {"path": path, **measure(client, server.url + path, args.warmup, args.samples)}
                r = results[title]
                flag = "" if r["p95_ms"] < TARGET_MS else f"  ← over {TARGET_MS} ms"
                print(f"  {title:<26} median {r['median_ms']:>6.1f} ms  p95 {r['p95_ms']:>6.1f} ms{flag}", flush=True)
        return {
            "target_ms": TARGET_MS,
            "memories": args.memories,
            "database": database.describe(),
            "samples": args.samples,
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                        "load_at_end": round(os.getloadavg()[0], 2)},
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "pages": results,
            "all_under_target": all(r["p95_ms"] < TARGET_MS for r in results.values()),
        }
    finally:
        if server is not None:
            server.stop()
        database.drop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"· kept {tmp}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--memories", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--prepare", nargs=2, metavar=("SEEDED", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prepare:
        prepare_main(*args.prepare)
        return 0
    harness.ensure_venv()
    report = run(args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2))
    print(f"· wrote {args.output}; every page under {TARGET_MS} ms at p95: {report['all_under_target']}")
    return 0 if report["all_under_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
