"""dreameval's worker: load a fleet into a fresh Reverie database, check an engine, dream over the fleet.

    python bench/dreameval/worker.py load STORE_DIR SESSIONS... | check --engine E | dream --engine E
                                     [--with-changes] --result PATH

Run by the benchmarks through `bench.harness.worker(SCRIPT, home, ...)`, one process per command, with
Django set up in-process on the REVERIE_HOME the parent gave (a copy of a database migrated once, so
runs never share state). Used by dreameval (run.py) and the scale and Claude engine benchmarks.
"""

import argparse
import collections
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository: bench and the apps
from bench import harness

SCRIPT = Path(__file__).resolve()
WORKSPACE = "bench"
STORE = "fleet"


def load(store_dir: str, session_paths: list[str]) -> dict:
    """Import a store and sessions through the same commands operators use."""
    import io

    from django.core.management import call_command

    from dreams.models import Session, SessionEvent

    started = time.perf_counter()
    call_command("import_store", store_dir, "--name", STORE, "--workspace", WORKSPACE,
                 stdout=io.StringIO(), stderr=io.StringIO())
    stored = time.perf_counter()
    for start in range(0, len(session_paths), 200):
        call_command("import_sessions", *session_paths[start:start + 200], "--workspace", WORKSPACE,
                     stdout=io.StringIO(), stderr=io.StringIO())
    return {"import_store_seconds": round(stored - started, 3),
            "import_sessions_seconds": round(time.perf_counter() - stored, 3),
            "sessions": Session.objects.count(), "events": SessionEvent.objects.count()}


def check(engine: str) -> dict:
    """Which engine a dream with model `engine` would run on here, or why none can (no key, unknown)."""
    from dreams import engines
    from memory import identity
    from memory.errors import InvalidRequest

    workspace = identity.get_or_create_workspace(name=WORKSPACE)
    claude_model = engines.is_claude_model(engine)
    try:
        return {"engine": engines.engine_for(engine, workspace=workspace), "claude_model": claude_model}
    except InvalidRequest as exc:
        return {"refused": exc.message, "claude_model": claude_model}


def dream(engine: str, *, with_changes: bool) -> dict:
    """Create a dream over every imported session and run it with the function the Celery task calls.
    {"refused": message} when the server would not start it (an unknown engine, a Claude model and no key)."""
    from dreams import lifecycle, runner
    from dreams.models import Dream, ProposedChange
    from memory import identity
    from memory.access import Principal
    from memory.blobs import read_blob
    from memory.errors import InvalidRequest
    from memory.models import Agent, Memory, MemoryStore

    workspace = identity.get_or_create_workspace(name=WORKSPACE)
    store = MemoryStore.objects.get(workspace=workspace, name=STORE)
    principal = Principal(workspace=workspace, api_key=identity.issue_api_key(workspace=workspace, name="bench").key)
    # Name the fleet's agents: a filter on the workspace alone would also pick up the dream's own session.
    agents = sorted(Agent.objects.filter(workspace=workspace).exclude(name=lifecycle.DREAMER_AGENT)
                    .values_list("id", flat=True))
    try:
        created = lifecycle.start_dream(
            principal=principal, store_id=store.id, model_id=engine,
            session_filter=lifecycle.SessionFilter(agent_ids=tuple(agents),
                                                   max_sessions=lifecycle.MAX_FILTER_SESSIONS),
        )
    except InvalidRequest as exc:
        return {"refused": exc.message}
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    outcome = runner.run_dream(created.id)
    seconds = time.perf_counter() - started
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    dream = Dream.objects.get(pk=created.id)
    result = {"dream_id": dream.id, "outcome": outcome, "status": dream.status, "error": dream.error,
              "engine": dream.engine, "seconds": round(seconds, 3),
              "sessions": len(dream.session_ids), "usage": {
                  "input_tokens": dream.input_tokens, "output_tokens": dream.output_tokens,
                  "cache_creation_input_tokens": dream.cache_creation_input_tokens,
                  "cache_read_input_tokens": dream.cache_read_input_tokens},
              "progress": dream.progress, "maxrss_kb_before": rss_before, "maxrss_kb_peak": rss_peak,
              "changes": ProposedChange.objects.filter(proposal__dream=dream).count(),
              "flagged": ProposedChange.objects.filter(proposal__dream=dream).exclude(warnings=[]).count(),
              "warnings": dict(collections.Counter(
                  w.get("type") for ws in ProposedChange.objects.filter(proposal__dream=dream)
                  .values_list("warnings", flat=True) for w in ws or []))}
    if with_changes:
        def contents(s):
            return {m.path: read_blob(m.blob) for m in Memory.objects.filter(store=s).select_related("blob")}

        result["before"] = contents(store)
        result["after"] = contents(dream.output_store) if dream.output_store_id else result["before"]
        result["change_list"] = [
            {"operation": c.operation, "category": c.category, "rationale": c.rationale, "evidence": c.evidence,
             "base_path": c.base_path, "path": c.path, "content": read_blob(c.blob) if c.blob_id else None,
             "warnings": c.warnings}
            for c in ProposedChange.objects.filter(proposal__dream=dream).select_related("blob").order_by("seq")
        ]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_load = sub.add_parser("load")
    p_load.add_argument("store")
    p_load.add_argument("sessions", nargs="+")
    p_dream = sub.add_parser("dream")
    p_dream.add_argument("--engine", default="reverie-offline")
    p_dream.add_argument("--with-changes", action="store_true")
    p_check = sub.add_parser("check")
    p_check.add_argument("--engine", default="reverie-offline")
    for p in (p_load, p_dream, p_check):
        p.add_argument("--result", required=True)
    args = parser.parse_args()
    harness.setup_django()
    if args.command == "load":
        sessions = [str(p) for raw in args.sessions for p in
                    (sorted(Path(raw).glob("*.json")) if Path(raw).is_dir() else [Path(raw)])]
        result = load(args.store, sessions)
    elif args.command == "check":
        result = check(args.engine)
    else:
        result = dream(args.engine, with_changes=args.with_changes)
    Path(args.result).write_text(json.dumps(result, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
