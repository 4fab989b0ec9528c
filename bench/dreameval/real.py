"""dreameval on real transcripts: a dream per project over sessions nobody on the team wrote, scored
against an answer file written by reading them (bench/dreameval/answers/real/*.json).

    .venv/bin/python bench/dreameval/real.py [--engine reverie-offline] [--root ../shared/real-transcripts]
                                             [--answers bench/dreameval/answers/real] [--output PATH]

For each answer file: a fresh SQLite database under a temporary REVERIE_HOME, the answer's store seeded
through the domain, the project's sessions imported with `import_sessions --format …`, one dream
(`start_dream` + `run_dream`) over all of them, then the score:
- lessons found: an expected lesson is found when a line the dream writes matches it and the change's
  evidence names only sessions the answer lists for it (and at least two of them);
- wrong lessons (must be 0): lines matching one of the answer's known-wrong statements;
- unlisted: lines that match no lesson, listed for a person to judge;
- facts lost (must be 0): lines of the seeded store missing once every proposed change is applied.
The transcripts stay where they are: nothing of them is copied into the repository.
"""

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", default="reverie-offline")
    parser.add_argument("--root", default=str(REPO.parent / "shared" / "real-transcripts"))
    parser.add_argument("--answers", default=str(REPO / "bench" / "dreameval" / "answers" / "real"))
    parser.add_argument("--output", default=str(REPO / "bench" / "results" / "dreameval-real.json"))
    args = parser.parse_args()
    root = Path(args.root)
    if not root.is_dir():
        print(f"No real transcripts at {root}: pass --root.", file=sys.stderr)
        return 1
    home = tempfile.mkdtemp(prefix="reverie-real-")
    os.environ["REVERIE_HOME"] = home
    os.environ.pop("DATABASE_URL", None)  # a throw-away SQLite database, never the configured one
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    results = []
    for answer_file in sorted(Path(args.answers).glob("*.json")):
        answer = json.loads(answer_file.read_text())
        results.append(evaluate(answer, root, args.engine))
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps({"engine": args.engine, "projects": results}, indent=2))
    for result in results:
        print_result(result)
    print(f"\nresults: {args.output}")
    return 0 if all(r["wrong"] == [] and r["facts_lost"] == [] for r in results) else 1


def evaluate(answer: dict, root: Path, engine: str) -> dict:
    from django.core.management import call_command

    from dreams import lifecycle, runner
    from dreams.models import Dream, ProposedChange, Session
    from memory import identity, stores
    from memory import store as memory_store
    from memory.access import Actor, Principal
    from memory.blobs import read_blob

    name = answer["project"].replace("/", "__")
    workspace = identity.get_or_create_workspace(name=name)
    store = stores.create_store(workspace=workspace, name=f"{name} notes")
    memory_store.fill_store(store=store, files=sorted(answer["store"].items()), actor=Actor(user_id="user_eval"))
    call_command("import_sessions", str(root / answer["project"]), "--workspace", name,
                 "--format", answer.get("format", "auto"), verbosity=0)
    ids = sorted(Session.objects.filter(workspace=workspace).exclude(agent__name=lifecycle.DREAMER_AGENT)
                 .values_list("id", flat=True))
    started = time.perf_counter()
    dream = lifecycle.start_dream(principal=Principal(workspace=workspace, user_id="user_eval"), store_id=store.id,
                                  model_id=engine, session_ids=ids[: lifecycle.MAX_SESSION_IDS])
    outcome = runner.run_dream(dream.id)
    seconds = time.perf_counter() - started
    dream = Dream.objects.get(pk=dream.pk)
    changes = list(ProposedChange.objects.filter(proposal__dream=dream).select_related("blob").order_by("seq"))

    final = dict(answer["store"])
    written = []  # (line, evidence sessions, warnings)
    for change in changes:
        content = read_blob(change.blob) if change.blob_id else None
        old = final.pop(change.base_path, "") if change.base_path else ""
        if content is not None:
            final[change.path] = content
        sessions = {e.get("session_id") for e in change.evidence or [] if isinstance(e, dict)}
        old_lines = set(old.split("\n"))
        written += [(line, sessions, change.warnings) for line in (content or "").split("\n")
                    if line.startswith("- ") and line not in old_lines]  # a lesson, not its "  - Sessions:" line

    found, lessons = [], []
    for lesson in answer["lessons"]:
        hits = [(line, s) for line, s, _ in written if re.search(lesson["match"], line)]
        right = [line for line, s in hits if len(s) >= 2 and s <= set(lesson["sessions"])]
        lessons.append({"id": lesson["id"], "found": bool(right), "matched": len(hits), "evidence_right": bool(right)})
        if right:
            found.append(lesson["id"])
    known = [x["match"] for x in answer["lessons"] + answer.get("also_true", [])]
    wrong = [line for line, _, _ in written if any(re.search(w["match"], line) for w in answer.get("wrong", []))]
    unlisted = [line for line, _, _ in written if not any(re.search(m, line) for m in known) and line not in wrong]
    kept = {line.strip() for content in final.values() for line in content.split("\n")}
    lost = [line.strip() for content in answer["store"].values() for line in content.split("\n")
            if line.strip() and not line.startswith("#") and line.strip() not in kept]
    return {"project": answer["project"], "engine": engine, "dream": outcome, "error": dream.error,
            "sessions": len(ids), "seconds": round(seconds, 2), "changes": len(changes),
            "flagged": sum(1 for c in changes if c.warnings), "lessons": lessons, "found": found, "wrong": wrong,
            "unlisted": unlisted, "facts_lost": lost}


def print_result(result: dict) -> None:
    print(f"\n{result['project']} ({result['engine']}): {result['sessions']} sessions → {result['changes']} changes "
          f"({result['flagged']} flagged) in {result['seconds']} s, dream {result['dream']}")
    for lesson in result["lessons"]:
        state = "found, evidence right" if lesson["found"] else ("matched, evidence wrong" if lesson["matched"]
                                                                 else "missed")
        print(f"  {lesson['id']:<28} {state}")
    print(f"  lessons found {len(result['found'])}/{len(result['lessons'])}, wrong lessons {len(result['wrong'])} "
          f"(must be 0), facts lost {len(result['facts_lost'])} (must be 0), unlisted {len(result['unlisted'])}")
    for line in result["wrong"]:
        print(f"    wrong: {line}")
    for line in result["unlisted"]:
        print(f"    unlisted (judge it): {line}")


if __name__ == "__main__":
    raise SystemExit(main())
