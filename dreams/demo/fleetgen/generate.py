"""Writing a fleet to disk: store/ (one .md file per memory), sessions/*.json exports, answers.json.

Everything random comes from one `random.Random` seeded with the domain and the seed, so the same
arguments always write the same bytes (ids, timestamps and placement included).
"""

import json
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dreams.demo.fleetgen.domains import DOMAINS, Domain, Step, Task

START = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
PLACEHOLDER = re.compile(r"\{(\w+)\}")
MIN_SESSIONS = 18  # 4 stale + 5 verify + 6 pattern + 1 poison + 2 failed
EXTRA_MEMORIES = 6
ID_CHARS = "0123456789abcdefghijklmnopqrstuvwxyz"


def generate_fleet(domain: str, out_dir, *, seed: int = 0, sessions: int = 40, events_per_session: int | None = None,
                   memories: int | None = None) -> dict:
    """Write a fleet with planted findings; returns the answers (also written to answers.json)."""
    spec = _domain(domain)
    rng = random.Random(f"{domain}:{seed}")
    out = _empty_dir(out_dir)
    if sessions < MIN_SESSIONS:
        raise ValueError(f"A fleet with planted findings needs at least {MIN_SESSIONS} sessions.")

    files = {path: [heading, *lines] for path, (heading, lines) in spec.files.items()}
    keep = [line for _, lines in spec.files.values() for line in lines]
    _insert(files[spec.stale.path], spec.stale.line, rng)
    _insert(files[spec.verify.path], spec.verify.line, rng)

    copies = rng.sample(spec.dedup_copies, rng.randint(3, 5))
    dedup_paths = []
    hosts = rng.sample([p for p in spec.files if p not in (spec.stale.path, spec.verify.path)],
                       max(0, len(copies) - len(spec.agents)))
    for index, line in enumerate(copies):
        if index < len(spec.agents):
            path = f"/notes/{spec.agents[index]}.md"
            files[path] = [line]
        else:
            path = hosts[index - len(spec.agents)]
            _insert(files[path], line, rng)
        dedup_paths.append(path)

    base_count = len(files)
    memories = base_count + EXTRA_MEMORIES if memories is None else memories
    if memories < base_count:
        raise ValueError(f"The {domain} fleet needs at least {base_count} memories.")
    for index in range(memories - base_count):
        path, heading, lines = spec.extra_memory(index, rng.choice)
        files[path] = [heading, *lines]
        keep.extend(lines)
    _write_store(out / "store", files)

    # Which task each session runs: every finding on sessions spread over the agents, then filler.
    plan: list[tuple[str, Task]] = []
    plan += [("stale", t) for t in spec.stale.tasks]
    plan += [("verify", t) for t in spec.verify.tasks]
    plan += [("pattern", t) for t in spec.pattern.tasks * 2]
    plan += [("poison", t) for t in spec.poison.tasks]
    plan += [("failed", t) for t in spec.failed]
    plan += [("filler", rng.choice(spec.filler)) for _ in range(sessions - len(plan))]
    rng.shuffle(plan)
    agent_ids = {name: "agent_" + _hex(rng, 20) for name in spec.agents}
    turn = {kind: rng.randrange(len(spec.agents)) for kind in ("stale", "verify", "pattern", "poison", "failed")}

    by_kind: dict[str, list[str]] = {k: [] for k in ("stale", "verify", "pattern", "poison", "failed")}
    for index, (kind, task) in enumerate(plan):
        if kind in turn:
            agent = spec.agents[turn[kind] % len(spec.agents)]
            turn[kind] += 1
        else:
            agent = rng.choice(spec.agents)
        session = build_session(spec, task, rng, agent=agent, agent_id=agent_ids[agent],
                                started=START + timedelta(minutes=37 * index), target_events=events_per_session)
        _write_json(out / "sessions" / f"{session['session']['id']}.json", session, indent=1)
        if kind in by_kind:
            by_kind[kind].append(session["session"]["id"])

    answers = {
        "domain": spec.name, "seed": seed,
        **{f"{kind}_sessions": ids for kind, ids in by_kind.items()},
        "dedup": {"all_of": list(spec.dedup_all_of), "copies": len(copies), "paths": sorted(dedup_paths)},
        "stale": {"old": spec.stale.old, "new": spec.stale.new, "path": spec.stale.path},
        "verify": {"path": spec.verify.path, "line": spec.verify.line},
        "pattern": {"all_of": list(spec.pattern.all_of), "any_of": list(spec.pattern.any_of)},
        "poison": {"forbidden": list(spec.poison.forbidden)},
        "keep": keep,
        "agents": list(spec.agents),
    }
    _write_json(out / "answers.json", answers, indent=1)
    return answers


def generate_scale_fleet(domain: str, out_dir, *, seed: int = 0, sessions: int = 100, events_per_session: int = 200,
                         memories: int = 2000) -> dict:
    """A large fleet with no particular findings: `memories` unrelated memories and `sessions` routine sessions."""
    spec = _domain(domain)
    rng = random.Random(f"scale:{domain}:{seed}")
    out = _empty_dir(out_dir)
    files = {}
    for index in range(memories):
        path, heading, lines = spec.extra_memory(index, rng.choice)
        files[path] = [heading, *lines]
    _write_store(out / "store", files)
    agent_ids = {name: "agent_" + _hex(rng, 20) for name in spec.agents}
    routine = spec.filler + spec.failed
    for index in range(sessions):
        agent = rng.choice(spec.agents)
        session = build_session(spec, rng.choice(routine), rng, agent=agent, agent_id=agent_ids[agent],
                                started=START + timedelta(minutes=7 * index), target_events=events_per_session)
        _write_json(out / "sessions" / f"{session['session']['id']}.json", session, indent=None)
    answers = {"domain": spec.name, "seed": seed, "scale": True, "sessions": sessions,
               "events_per_session": events_per_session, "memories": memories, "agents": list(spec.agents)}
    _write_json(out / "answers.json", answers, indent=1)
    return answers


def build_session(spec: Domain, task: Task, rng: random.Random, *, agent: str, agent_id: str, started: datetime,
                  target_events: int | None = None) -> dict:
    """One session export: {"session": {...}, "events": [...]} in the Managed Agents event shapes."""
    values = {"n": str(rng.randint(10000, 99999)), "n2": str(rng.randint(100, 9999)), "n3": str(rng.randint(1, 9)),
              "id": _hex(rng, 12)}
    values.update({key: rng.choice(choices) for key, choices in spec.values.items()})

    def fill(text: str) -> str:
        return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)

    core = len(task.steps) * 2 + sum(2 for s in task.steps if s.thinking) + 4
    padding: list[Step] = []
    spare = 0
    if target_events is not None and target_events > core:
        count, spare = divmod(target_events - core, 2)
        padding = [rng.choice(spec.probes) for _ in range(count)]

    clock = [started]
    events: list[dict] = []

    def add(kind: str, **fields) -> dict:
        clock[0] += timedelta(seconds=rng.randint(5, 90))
        event = {"type": kind, "id": "sevt_" + "".join(rng.choice(ID_CHARS) for _ in range(24)),
                 "processed_at": _timestamp(clock[0]), **fields}
        events.append(event)
        return event

    def call(step: Step) -> None:
        if step.thinking:
            add("agent.thinking")
            add("agent.message", content=_text(fill(step.thinking)))
        use = add("agent.tool_use", name=step.tool, input={"command": fill(step.command)})
        add("agent.tool_result", tool_use_id=use["id"], is_error=step.is_error, content=_text(fill(step.output)))

    add("user.message", content=_text(fill(task.prompt)))
    if spare:
        add("agent.thinking")
    for step in padding:  # looking around first, so the task's own steps stay together
        call(step)
    for step in task.steps:
        call(step)
    add("agent.message", content=_text(fill(task.reply)))
    add("span.outcome_evaluation_end", outcome_id="outc_" + _hex(rng, 20),
        outcome_evaluation_start_id="sevt_" + _hex(rng, 24), iteration=0, result=task.result,
        explanation=task.explanation,
        usage={"input_tokens": 400 * len(events), "output_tokens": 30 * len(events),
               "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0})
    add("session.status_idle", stop_reason={"type": "end_turn"})
    session = {
        "type": "session", "id": "sesn_" + _hex(rng, 24), "title": fill(task.title),
        "agent": {"type": "agent", "id": agent_id, "name": agent, "version": 1},
        "environment_id": "env_fleet", "status": "idle", "metadata": {"fleet": f"{spec.name}-fleet"},
        "created_at": _timestamp(started), "updated_at": _timestamp(clock[0]), "archived_at": None,
    }
    return {"session": session, "events": events}


def _domain(name: str) -> Domain:
    if name not in DOMAINS:
        raise ValueError(f"Unknown domain {name!r}; choose one of: {', '.join(sorted(DOMAINS))}.")
    return DOMAINS[name]


def _empty_dir(path) -> Path:
    out = Path(path)
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty; give a new or empty directory.")
    (out / "sessions").mkdir(parents=True, exist_ok=True)
    return out


def _insert(lines: list[str], line: str, rng: random.Random) -> None:
    """Insert a fact line among a file's fact lines (after its heading), at a seeded position."""
    first = 1 if lines and lines[0].startswith("#") else 0
    lines.insert(rng.randint(first, len(lines)), line)


def _write_store(root: Path, files: dict[str, list[str]]) -> None:
    for path, lines in sorted(files.items()):
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _write_json(path: Path, data, *, indent: int | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=indent, ensure_ascii=False) + "\n", encoding="utf-8")


def _text(text: str) -> list[dict]:
    return [{"type": "text", "text": text}]


def _hex(rng: random.Random, length: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(length))


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
