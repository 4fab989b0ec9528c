#!/usr/bin/env python
"""Reverie memory API benchmark: does the API stay flat from 1k to 100k memories?

One run, bounded, loopback only:

1. Makes a throwaway REVERIE_HOME (and, when DATABASE_URL is set, a uniquely
   named PostgreSQL database on that server, dropped at the end), migrates it.
2. Seeds two stores, --small (1,000) and --large (100,000) memories, in a
   folder tree like /team-03/service-11/area-07/runbook-04.md.
3. Starts gunicorn (console.wsgi, 2 workers, as `make run` does) on a free
   127.0.0.1 port and waits for /healthz.
4. Through the official SDK, unmodified, measures median and p95 latency of
   memories.retrieve, memories.list(depth=1) and memories.update with a
   content_sha256 precondition on both stores, and the large/small ratio.
5. Measures writes/s with full history: Reverie's sequential updates against
   a git repository holding the same files that commits once per write.
6. Prints the numbers and a Markdown table, writes bench/results/memory_api.json.

Run `make bench`, or `.venv/bin/python bench/memory_api.py --large 10000 --samples 50`
for a quick run. See bench/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: bench and the apps
from bench import harness
from bench.harness import THREADS, WORKERS

ROOT = harness.REPO
DEFAULT_OUTPUT = ROOT / "bench" / "results" / "memory_api.json"
MAX_MEMORIES = 200_000  # REVERIE_MAX_MEMORIES_PER_STORE for the server and the seeder

# --- The folder tree -----------------------------------------------------------
# Folders hold FANOUT sub-folders (plus a README.md) down to leaf folders of LEAF_FILES
# notes; only the number of levels (and of top-level teams) grows with the store, so
# a page of a depth=1 listing looks alike in both stores.
FANOUT = 20
LEAF_FILES = 25
LEVELS = ["team", "service", "area", "component", "module", "unit"]
TOPICS = ["runbook", "decisions", "incidents", "oncall", "design", "glossary", "todo", "notes"]
# fmt: off
WORDS = [
    "agent", "memory", "store", "deploy", "rollback", "latency", "budget", "alert", "owner", "escalation",
    "cache", "index", "shard", "replica", "migration", "schema", "review", "approve", "flaky", "retry",
    "timeout", "queue", "worker", "cron", "backfill", "dashboard", "metric", "threshold", "incident",
    "postmortem", "customer", "contract", "region", "failover", "secret", "rotate", "token", "quota", "limit",
    "release", "canary", "feature", "flag", "experiment", "cohort", "billing", "invoice", "export", "import",
    "parser", "prompt", "model", "eval", "regression", "baseline", "snapshot", "fixture", "staging",
    "production", "cluster", "node", "pod", "volume", "backup", "restore",
]
# fmt: on


def tree_paths(n: int) -> list[str]:
    """n memory paths in path order, e.g. /team-00/service-03/area-11/runbook-04.md."""
    levels = 1
    while LEAF_FILES * FANOUT**levels < n:
        levels += 1
    if levels > len(LEVELS):
        raise SystemExit(f"{n} memories need a deeper tree than this benchmark builds.")
    tops = math.ceil(n / (LEAF_FILES * FANOUT ** (levels - 1)))
    out: list[str] = []

    def walk(prefix: str, level: int) -> None:
        if len(out) >= n:
            return
        if level == levels:
            for k in range(min(LEAF_FILES, n - len(out))):
                out.append(f"{prefix}{TOPICS[k % len(TOPICS)]}-{k:02d}.md")
            return
        if level > 0:
            out.append(f"{prefix}README.md")
        for i in range(tops if level == 0 else FANOUT):
            walk(f"{prefix}{LEVELS[level]}-{i:02d}/", level + 1)

    walk("/", 0)
    return sorted(out)


def folders_of(paths: list[str]) -> list[str]:
    folders = {"/"}
    for path in paths:
        parts = path.split("/")[1:-1]
        for i in range(1, len(parts) + 1):
            folders.add("/" + "/".join(parts[:i]) + "/")
    return sorted(folders)


def note_content(path: str, seed: int, revision: int = 0) -> str:
    """A few hundred bytes of Markdown, deterministic per (path, revision), unique per path."""
    rng = random.Random(f"{seed}:{path}:{revision}")
    lines = [f"# {path}", "", f"revision {revision}", ""]
    for _ in range(rng.randint(3, 8)):
        lines.append("- " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 12))))
    return "\n".join(lines) + "\n"


# --- Seeding (runs in a subprocess with django.setup()) --------------------------


def seed_main(spec_path: str, out_path: str) -> None:
    """Create a workspace, an admin key and one store per size, and fill the stores.

    Through memory.store.fill_store, the bulk write Reverie uses to fill a new store
    (a dream's output copy): a Blob per content, a Memory pointing at its 'created'
    MemoryVersion attributed to the admin key, memory_count set, in a few bulk
    inserts. create_memory costs a transaction and a handful of queries per memory,
    which would make seeding 100k memories take many minutes.
    """
    harness.setup_django()

    from django.conf import settings
    from django.db import connection

    from memory import identity, stores
    from memory import store as memory_store
    from memory.access import Actor
    from memory.models import Memory

    spec = json.loads(Path(spec_path).read_text())
    seed = spec["seed"]
    workspace = identity.get_or_create_workspace(name="bench")
    key = identity.issue_api_key(workspace=workspace, name="bench admin")
    actor = Actor(api_key_id=key.key.id)
    result = {"api_key": key.secret, "workspace_id": workspace.id, "stores": {}}

    for label, size in spec["sizes"].items():
        if size > settings.REVERIE_MAX_MEMORIES_PER_STORE:
            raise SystemExit(f"{size} memories exceed REVERIE_MAX_MEMORIES_PER_STORE.")
        started = time.perf_counter()
        store = stores.create_store(workspace=workspace, name=f"bench-{label}-{size}")
        paths = tree_paths(size)
        memory_store.fill_store(store=store, files=[(path, note_content(path, seed)) for path in paths], actor=actor)
        made = {path: (memory_id, sha) for memory_id, path, sha in
                Memory.objects.filter(store=store).values_list("id", "path", "blob_id").iterator()}
        rows = [[made[path][0], path, made[path][1]] for path in paths]  # in path order, as the sampling expects
        store.refresh_from_db()
        assert store.memory_count == size == len(made), "seeding miscounted"
        result["stores"][label] = {
            "id": store.id,
            "size": size,
            "memories": rows,
            "seconds": round(time.perf_counter() - started, 2),
        }

    if connection.vendor == "postgresql":
        # What autovacuum does shortly after a bulk load (insert-triggered vacuum and
        # analyze); without statistics the planner would be judging an empty table.
        with connection.cursor() as cursor:
            for table in ("memory_blob", "memory_memory", "memory_memoryversion", "memory_memorystore"):
                cursor.execute(f"VACUUM (ANALYZE) {table}")
    elif connection.vendor == "sqlite":
        # Reverie never runs ANALYZE on SQLite, so neither does the benchmark; fold the
        # seeding WAL into the database file as a checkpoint would.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    Path(out_path).write_text(json.dumps(result))


# --- Measuring -------------------------------------------------------------------


def summarize(latencies: list[float]) -> dict:
    ms = sorted(x * 1000 for x in latencies)
    return {
        "samples": len(ms),
        "median_ms": round(statistics.median(ms), 3),
        "p95_ms": round(statistics.quantiles(ms, n=100, method="inclusive")[94], 3) if len(ms) > 1 else round(ms[0], 3),
        "mean_ms": round(statistics.fmean(ms), 3),
        "min_ms": round(ms[0], 3),
        "max_ms": round(ms[-1], 3),
    }


def timed_call(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def interleaved(calls: dict, count: int) -> dict[str, list[float]]:
    """count latencies per call, taking turns (and alternating who goes first) so that both
    stores see the same background load, caches and server state; a ratio between them
    then measures the store size, not whatever else the machine was doing at the time."""
    latencies = {label: [] for label in calls}
    order = list(calls)
    for i in range(count):
        for label in order if i % 2 == 0 else reversed(order):
            latencies[label].append(timed_call(calls[label]))
    return latencies


class StoreUnderTest:
    """One seeded store and the SDK calls measured on it. Each call picks its target at random."""

    def __init__(self, client, info: dict, seed: int, rng: random.Random):
        self.memories = client.beta.memory_stores.memories
        self.id = info["id"]
        self.size = info["size"]
        self.rows = info["memories"]
        self.sha = {row[0]: row[2] for row in self.rows}
        folders = folders_of([row[1] for row in self.rows])
        parents = {folder.rsplit("/", 2)[0] + "/" for folder in folders if folder != "/"}
        # Leaf folders hold only memories; the others hold a README.md and sub-folders, which a
        # depth=1 listing rolls up into memory_prefix items (one index seek each).
        self.folders = {
            "leaf": [f for f in folders if f not in parents],
            "parent": [f for f in folders if f in parents and f != "/"] or ["/"],
            "root": ["/"],
        }
        self.seed = seed
        self.rng = rng
        self.revision = 0
        self.pages: dict[str, list[tuple[int, int]]] = {kind: [] for kind in self.folders}

    def retrieve(self) -> None:
        memory_id = self.rng.choice(self.rows)[0]
        memory = self.memories.retrieve(memory_id, memory_store_id=self.id)
        assert memory.id == memory_id and memory.content_sha256 == self.sha[memory_id], (
            "retrieve returned another memory"
        )

    def lister(self, kind: str):
        def list_depth1() -> None:
            prefix = self.rng.choice(self.folders[kind])
            page = self.memories.list(self.id, depth=1, path_prefix=prefix)
            assert page.data, f"empty listing of {prefix}"
            prefixes = sum(1 for item in page.data if item.type == "memory_prefix")
            self.pages[kind].append((len(page.data), prefixes))

        return list_depth1

    def update(self) -> None:
        memory_id, path, _ = self.rng.choice(self.rows)
        self.revision += 1
        content = note_content(path, self.seed, self.revision)
        memory = self.memories.update(
            memory_id,
            memory_store_id=self.id,
            content=content,
            precondition={"type": "content_sha256", "content_sha256": self.sha[memory_id]},
        )
        expected = hashlib.sha256(content.encode("utf-8")).hexdigest()
        assert memory.content_sha256 == expected, "update did not store the new content"
        self.sha[memory_id] = memory.content_sha256

    def call(self, operation: str):
        if operation.startswith("list_"):
            return self.lister(operation.removeprefix("list_"))
        return getattr(self, operation)


def git_baseline(workdir: Path, paths: list[str], seed: int, writes: int, rng: random.Random) -> dict:
    """A git repository with the same files, committing once per write (add + commit)."""
    repo = workdir / "repo"
    hooks = workdir / "no-hooks"
    hooks.mkdir(parents=True)
    # Ignore the user's and the system's git config (hooks, signing, fsmonitor); set identity locally.
    env = dict(os.environ, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0")

    def git(*args, timeout=600, input=None):
        done = subprocess.run(
            ["git", *args],
            check=False,
            cwd=repo,
            env=env,
            timeout=timeout,
            input=input,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        if done.returncode:
            error = done.stderr.decode("utf-8", "replace").strip()
            raise SystemExit(f"git {' '.join(args)} failed ({done.returncode}): {error}")

    started = time.perf_counter()
    repo.mkdir()
    git("init", "-q", "-b", "main")
    git("config", "user.name", "Reverie Bench")
    git("config", "user.email", "bench@localhost")
    git("config", "commit.gpgsign", "false")
    git("config", "core.hooksPath", str(hooks))
    # The seed commit goes in through fast-import, which writes one pack: the repository starts
    # in the packed steady state of a long-lived one (a `git add -A` of 100k files would leave
    # 100k loose objects and start an auto-gc during the measured commits), and seeding is faster.
    # `git reset` then builds the index from the files written here, so `git status` is clean.
    stream = [b"commit refs/heads/main\ncommitter Reverie Bench <bench@localhost> 0 +0000\ndata 4\nseed\n"]
    for path in paths:
        data = note_content(path, seed).encode("utf-8")
        target = repo / path[1:]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        stream.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path[1:].encode("utf-8"), len(data), data))
    git("fast-import", "--quiet", input=b"".join(stream))
    git("reset", "-q")
    status = subprocess.run(
        ["git", "status", "--porcelain"], check=False, cwd=repo, env=env, capture_output=True, timeout=600
    )
    if status.returncode or status.stdout.strip():
        raise SystemExit(f"the seeded git repository is not clean: {status.stdout[:500]!r} {status.stderr[:500]!r}")
    seed_seconds = time.perf_counter() - started

    revision = 0

    def write() -> None:
        nonlocal revision
        revision += 1
        path = rng.choice(paths)
        (repo / path[1:]).write_text(note_content(path, seed, revision))
        git("add", "--", path[1:], timeout=120)
        git("commit", "-q", "-m", f"update {path}", timeout=120)

    latencies = [timed_call(write) for _ in range(writes)]
    commits = subprocess.run(
        ["git", "rev-list", "--count", "HEAD"],
        cwd=repo,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    assert int(commits) == writes + 1, f"git made {commits} commits, not {writes + 1}"
    result = {
        "files": len(paths),
        "writes": writes,
        "writes_per_s": round(writes / sum(latencies), 2),
        "latency": summarize(latencies),
        "seed_seconds": round(seed_seconds, 2),
    }
    shutil.rmtree(repo, ignore_errors=True)
    return result


# --- Reporting ---------------------------------------------------------------------

OPERATIONS = [
    ("retrieve", "memories.retrieve"),
    ("list_leaf", "memories.list depth=1, folder of notes"),
    ("list_parent", "memories.list depth=1, folder of folders"),
    ("list_root", "memories.list depth=1, path_prefix /"),
    ("update", "memories.update + precondition"),
]
LIST_NOTES = {
    "list_leaf": "a random leaf folder: a page of 20 memories",
    "list_parent": "a random folder below / holding README.md and sub-folders: 1 memory and 19 memory_prefix items",
    "list_root": "'/': one memory_prefix per top-level folder (the large tree has more of them)",
}


def fmt_size(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else f"{n:,}"


def page_note(op: dict) -> str:
    """' (20 / 20 items)': items per page on the small / large store, for list rows."""
    if "items_per_page" not in op["small"]:
        return ""
    return f" ({op['small']['items_per_page']:.3g} / {op['large']['items_per_page']:.3g} items)"


def markdown(report: dict) -> str:
    small, large = report["parameters"]["small"], report["parameters"]["large"]
    s, l = fmt_size(small), fmt_size(large)
    env, ops = report["environment"], report["operations"]
    lines = [
        (
            f"Reverie {env['git_commit']} on {env['database']}; gunicorn {WORKERS} workers × {THREADS} threads, "
            f"anthropic {env['anthropic']} SDK, {env['cpus']} CPUs (load {env['load_average']['start']:.1f} "
            f"before the run); {report['parameters']['samples']} samples per cell, stores interleaved."
        ),
        "",
        f"| operation through the SDK | {s} median | {s} p95 | {l} median | {l} p95 | {l}/{s} median |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key, title in OPERATIONS:
        op = ops[key]
        lines.append(
            f"| {title}{page_note(op)} | {op['small']['median_ms']:.1f} ms | {op['small']['p95_ms']:.1f} ms | "
            f"{op['large']['median_ms']:.1f} ms | {op['large']['p95_ms']:.1f} ms | {op['ratio_median']:.2f}× |"
        )
    w = report["writes_per_second"]
    lines += [
        "",
        f"| sequential writes/s, full history kept | {s} | {l} |",
        "|---|---:|---:|",
        f"| Reverie: `memories.update` with precondition | {w['reverie']['small']:.1f} | {w['reverie']['large']:.1f} |",
        f"| git: write file, `git add`, `git commit` per change | {w['git']['small']:.1f} | {w['git']['large']:.1f} |",
    ]
    return "\n".join(lines)


def print_report(report: dict) -> None:
    p = report["parameters"]
    s, l = fmt_size(p["small"]), fmt_size(p["large"])
    env = report["environment"]
    print()
    print(
        f"Reverie memory API benchmark — {env['database']}, gunicorn {WORKERS}×{THREADS}, "
        f"anthropic {env['anthropic']}, Python {env['python']}, {env['cpus']} CPUs, code {env['git_commit']}"
    )
    print(
        f"samples {p['samples']} per cell (warm-up {p['warmup']}), stores interleaved; "
        f"git writes {p['git_writes']}; seed {p['seed']}"
    )
    load = env["load_average"]
    print(f"load average (1 min) {load['start']:.2f} before the run, {load['end']:.2f} at its end", end="")
    if load["start"] > 0.5:
        print(" — other processes were busy: absolute times are inflated, the interleaved ratios much less so")
    else:
        print()
    seeding = report["seeding"]
    print(
        f"seeded {seeding['small']['memories']:,} memories in {seeding['small']['seconds']:.1f} s, "
        f"{seeding['large']['memories']:,} in {seeding['large']['seconds']:.1f} s"
    )
    print()
    header = (
        f"{'operation through the SDK':40} {s + ' median':>12} {s + ' p95':>10} "
        f"{l + ' median':>12} {l + ' p95':>10} {l + '/' + s:>9}   items/page"
    )
    print(header)
    print("-" * len(header))
    for key, title in OPERATIONS:
        op = report["operations"][key]
        items = page_note(op).strip(" ()")
        print(
            f"{title:40} {op['small']['median_ms']:9.2f} ms {op['small']['p95_ms']:7.2f} ms "
            f"{op['large']['median_ms']:9.2f} ms {op['large']['p95_ms']:7.2f} ms {op['ratio_median']:8.2f}x   {items}"
        )
    print()
    w = report["writes_per_second"]
    print(f"{'sequential writes/s, full history kept':52} {s:>8} {l:>8}")
    print(
        f"{'Reverie: memories.update with precondition':52} {w['reverie']['small']:8.1f} {w['reverie']['large']:8.1f}"
    )
    print(f"{'git: write file, git add, git commit per change':52} {w['git']['small']:8.1f} {w['git']['large']:8.1f}")
    print(
        f"{'Reverie / git':52} {w['reverie']['small'] / w['git']['small']:7.1f}x "
        f"{w['reverie']['large'] / w['git']['large']:7.1f}x"
    )
    print()
    print("Markdown:")
    print()
    print(report["markdown"])
    print()


# --- Main ----------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=1000, help="memories in the small store (default 1000)")
    parser.add_argument("--large", type=int, default=100_000, help="memories in the large store (default 100000)")
    parser.add_argument("--samples", type=int, default=200, help="measured calls per operation and store (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured calls first (default 20)")
    parser.add_argument("--git-writes", type=int, default=None, help="git commits per size (default: --samples)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for content and sampling (default 0)")
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help="JSON results (default bench/results/memory_api.json)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory (and database) for inspection"
    )
    parser.add_argument("--seed-into", nargs=2, metavar=("SPEC", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.git_writes is None:
        args.git_writes = args.samples
    if args.seed_into is None:
        for name in ("small", "large", "samples", "git_writes"):
            if getattr(args, name) < 1:
                parser.error(f"--{name.replace('_', '-')} must be at least 1")
        if max(args.small, args.large) > MAX_MEMORIES:
            parser.error(f"stores are limited to {MAX_MEMORIES:,} memories here")
        if args.samples < 2:
            parser.error("--samples must be at least 2 (p95)")
    return args


def run(args) -> dict:
    import anthropic
    import django

    rng = random.Random(args.seed)
    harness.loopback_only()
    tmp = Path(tempfile.mkdtemp(prefix="reverie-bench-"))
    database = harness.Database(os.environ.get("DATABASE_URL"))
    server = None
    started_at = datetime.now(UTC)
    load_at_start = os.getloadavg()[0]
    try:
        home = harness.fresh_home(tmp, "home")
        database.create()
        env = harness.child_env(home, database_url=database.url,
                                extra={"REVERIE_MAX_MEMORIES_PER_STORE": MAX_MEMORIES})
        print(
            f"· {database.describe()}{' database ' + database.name if database.name else ''}, REVERIE_HOME {home}",
            flush=True,
        )

        harness.migrate(env)

        sizes = {"small": args.small, "large": args.large}
        spec, seeded = tmp / "seed-spec.json", tmp / "seeded.json"
        spec.write_text(json.dumps({"sizes": sizes, "seed": args.seed}))
        print(f"· seeding {args.small:,} + {args.large:,} memories", flush=True)
        harness.run_script(__file__, "--seed-into", str(spec), str(seeded), env=env, timeout=3600)
        seed_info = json.loads(seeded.read_text())
        print(
            "  " + ", ".join(f"{info['size']:,} in {info['seconds']:.1f} s" for info in seed_info["stores"].values()),
            flush=True,
        )

        server = harness.Server(env, tmp / "server.log")
        server.start()
        print(f"· gunicorn on {server.url}", flush=True)
        client = anthropic.Anthropic(api_key=seed_info["api_key"], base_url=server.url, max_retries=0, timeout=60)
        stores = {label: StoreUnderTest(client, seed_info["stores"][label], args.seed, rng) for label in sizes}

        operations: dict = {}
        reverie_writes: dict = {}
        for key, title in OPERATIONS:
            print(
                f"· {title}: "
                + " and ".join(f"{store.size:,}" for store in stores.values())
                + f" memories, {args.samples} samples each, interleaved",
                flush=True,
            )
            calls = {label: store.call(key) for label, store in stores.items()}
            interleaved(calls, args.warmup)
            for store in stores.values():
                for pages in store.pages.values():
                    pages.clear()
            latencies = interleaved(calls, args.samples)
            operations[key] = {}
            for label, store in stores.items():
                stats = summarize(latencies[label])
                if key.startswith("list_"):
                    kind = key.removeprefix("list_")
                    pages = store.pages[kind]
                    stats["items_per_page"] = round(statistics.fmean(n for n, _ in pages), 2)
                    stats["prefixes_per_page"] = round(statistics.fmean(p for _, p in pages), 2)
                    stats["folders_sampled"] = len(store.folders[kind])
                if key == "update":
                    # Sequential writes: each waits for the previous one's answer.
                    reverie_writes[label] = round(len(latencies[label]) / sum(latencies[label]), 2)
                operations[key][label] = stats
                print(
                    f"  {store.size:>9,}: median {stats['median_ms']:.2f} ms, p95 {stats['p95_ms']:.2f} ms"
                    + (f", {stats['items_per_page']:.1f} items/page" if "items_per_page" in stats else ""),
                    flush=True,
                )
            small, large = operations[key]["small"], operations[key]["large"]
            operations[key]["ratio_median"] = round(large["median_ms"] / small["median_ms"], 3)
            operations[key]["ratio_p95"] = round(large["p95_ms"] / small["p95_ms"], 3)
            if key in LIST_NOTES:
                operations[key]["sample"] = LIST_NOTES[key]

        server.stop()
        git = {}
        for label, store in stores.items():
            print(f"· git baseline: {store.size:,} files, {args.git_writes} commits", flush=True)
            git[label] = git_baseline(
                tmp / f"git-{label}", [row[1] for row in store.rows], args.seed, args.git_writes, rng
            )
            print(
                f"  {git[label]['writes_per_s']:.1f} writes/s (repository seeded in "
                f"{git[label]['seed_seconds']:.1f} s)",
                flush=True,
            )

        report = {
            "benchmark": "memory_api",
            "started_at": started_at.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            "command": [Path(sys.argv[0]).name, *sys.argv[1:]],
            "environment": {
                "database": database.describe(),
                "git_commit": git_commit(),
                "modified_files": modified_files(),
                "python": platform.python_version(),
                "django": django.__version__,
                "anthropic": anthropic.__version__,
                "git": subprocess.run(["git", "--version"], check=False, capture_output=True, text=True).stdout.strip(),
                "cpus": os.cpu_count(),
                # 1-minute load average before the run and at its end (the benchmark's own
                # client and server make up to about 2 of it).
                "load_average": {"start": round(load_at_start, 2), "end": round(os.getloadavg()[0], 2)},
                "platform": platform.platform(),
                "server": f"gunicorn console.wsgi --workers {WORKERS} --threads {THREADS}",
            },
            "parameters": {
                "small": args.small,
                "large": args.large,
                "samples": args.samples,
                "warmup": args.warmup,
                "git_writes": args.git_writes,
                "seed": args.seed,
            },
            "seeding": {
                label: {"memories": info["size"], "folders": len(stores[label].folders), "seconds": info["seconds"]}
                for label, info in seed_info["stores"].items()
            },
            "operations": operations,
            "writes_per_second": {
                "reverie": reverie_writes,
                "git": {label: result["writes_per_s"] for label, result in git.items()},
            },
            "git": git,
        }
        report["markdown"] = markdown(report)
        return report
    except Exception:
        if server is not None and server.process is not None:
            tail = server.log_tail()
            if tail:
                print(f"--- server log (tail) ---\n{tail}", file=sys.stderr)
        raise
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            print(f"· kept {tmp}" + (f" and database {database.name}" if database.created else ""), file=sys.stderr)
        else:
            try:
                database.drop()
            finally:
                shutil.rmtree(tmp, ignore_errors=True)


def git_commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], check=False, cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            check=False,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        # "-dirty": tracked files had uncommitted changes (listed in the JSON as modified_files).
        return head + ("-dirty" if dirty else "") if head else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def modified_files() -> list[str]:
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            check=False,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line[3:] for line in out.splitlines() if line.strip()]


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.seed_into:
        seed_main(*args.seed_into)
        return 0
    harness.ensure_venv()
    # Ctrl-C (even when started in the background, where SIGINT is ignored), SIGTERM and SIGHUP
    # all unwind through run()'s cleanup: the server is stopped, temporary files are removed.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda number, _frame: sys.exit(128 + number))
    try:
        report = run(args)
    except KeyboardInterrupt:
        print("\ninterrupted; the server was stopped and temporary files removed", file=sys.stderr)
        return 130
    except SystemExit as stop:
        if isinstance(stop.code, int) and stop.code > 128:
            print(
                f"\nstopped by signal {stop.code - 128}; the server was stopped and temporary files removed",
                file=sys.stderr,
            )
        raise
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print_report(report)
    print(f"Results: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
