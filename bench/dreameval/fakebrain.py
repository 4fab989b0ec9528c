"""A simple "brain" for the fake Messages API (tests/fakes/messages_api.py), for benchmarks.

It answers the Claude engine's two kinds of request the way a terse model would, from what the
request itself holds, so it is stateless per request and safe to call from the fake's threads:

- a digest request (`tool_choice` names record_digest): a record_digest call whose lessons are the
  transcript's failed tool calls and the call that worked next, citing the real event ids;
- a consolidation turn: view /memories; write the round's most frequent lessons to one lessons file
  (create it, or str_replace into it in a later round); annotate_change with evidence from the
  digests; optionally (`verify=`) view one store file, mark a line of it verified and annotate that;
  then end the turn with a summary. A tool error ends the round.

It proves the plumbing and gives realistic request shapes and sizes; its lessons are shallow, so a
quality benchmark scores it poorly.
"""

from __future__ import annotations

import collections
import html
import re
import threading

from tests.fakes.messages_api import reply, tool_use

LESSONS_FILE = "/memories/lessons/recurring-errors.md"
LESSONS_HEADING = "# Recurring errors\n\n"
MAX_LESSONS_PER_DIGEST = 4
MAX_LINES_PER_ROUND = 2
MAX_EVIDENCE_SESSIONS = 20

_EVENT = re.compile(r"^\[([^\]\s]+)\] ([\w.]+)( ERROR)?(?: \(for ([^)]*)\))?[: ]?(.*)$")
_TRANSCRIPT = re.compile(r'<transcript session="([^"]*)"[^>]*outcome="([^"]*)"')
_DIGEST = re.compile(r'<digest session="([^"]*)"[^>]*>\n(.*?)\n</digest>', re.DOTALL)
_LESSON = re.compile(r"^- \[(\w+)\] (.*) \(events: ([^)]*)\)$")
_COMMAND = re.compile(r'"(?:command|path|file_path)": "((?:[^"\\]|\\.)*)"')


def _command(tool_line: str) -> str:
    """The command (or path) of a tool_use line, as short text."""
    found = _COMMAND.search(tool_line)
    text = found.group(1) if found else tool_line
    return text.replace('\\"', '"')[:120]


def _gist(error: str) -> str:
    """An error's first line, without the numbers and names that vary from session to session."""
    first = error.strip().split("\n", 1)[0][:100]
    return re.sub(r"\d+", "N", first)


class Brain:
    """`FakeMessagesAPI(handler=Brain())`. `verify`: (a /memories path, a text one of its lines holds)
    to mark verified in the first round, when some digest confirmed it."""

    def __init__(self, *, verify: tuple[str, str] | None = None):
        self.verify = verify
        self.lock = threading.Lock()
        self.counts = collections.Counter()

    def __call__(self, request):
        body = request.body
        if (body.get("tool_choice") or {}).get("name") == "record_digest":
            with self.lock:
                self.counts["digest"] += 1
            return self.digest(body)
        with self.lock:
            self.counts["consolidation"] += 1
        return self.consolidate(body)

    # --- stage one ------------------------------------------------------------------------------

    def digest(self, body: dict):
        transcript = html.unescape(body["messages"][0]["content"][-1]["text"])
        head = _TRANSCRIPT.search(transcript)
        outcome = head.group(2) if head else "unknown"
        events = []  # (id, kind, is_error, answers, text)
        for line in transcript.split("\n"):
            if match := _EVENT.match(line):
                events.append(match.groups())
        uses = {e[0]: e for e in events if e[1].endswith("tool_use")}
        request = next((e[4] for e in events if e[1] == "user.message"), "")
        lessons, errors, seen = [], 0, set()
        for index, (event_id, kind, failed, answers, text) in enumerate(events):
            if not (kind.endswith("tool_result") and failed):
                continue
            errors += 1
            use = uses.get(answers or "")
            nxt = next((e for e in events[index + 1:] if e[1].endswith("tool_result") and not e[2]), None)
            fix = uses.get(nxt[3] or "") if nxt else None
            if use is None or fix is None or len(lessons) >= MAX_LESSONS_PER_DIGEST or _gist(text) in seen:
                continue
            seen.add(_gist(text))
            lessons.append({"kind": "error_recovery",
                            "text": f"`{_command(use[4])}` failed: {_gist(text)}; `{_command(fix[4])}` worked next.",
                            "event_ids": [use[0], event_id, fix[0], nxt[0]]})
        last_ok = next((e for e in reversed(events) if e[1].endswith("tool_result") and not e[2] and e[3] in uses),
                       None)
        if last_ok is not None and len(lessons) < MAX_LESSONS_PER_DIGEST:
            lessons.append({"kind": "confirmed_fact", "text": f"`{_command(uses[last_ok[3]][4])}` works.",
                            "event_ids": [last_ok[3], last_ok[0]]})
        tools = sum(1 for e in events if e[1].endswith("tool_use"))
        summary = (f"Asked: {request[:160].strip()}. {tools} tool calls, {errors} failed; outcome {outcome}.")
        return reply(tool_use("record_digest", {"summary": summary, "lessons": lessons}))

    # --- stage two ------------------------------------------------------------------------------

    def consolidate(self, body: dict):
        messages = body["messages"]
        first = messages[0]["content"]
        store = first[0]["text"] if first else ""
        digests = html.unescape(first[1]["text"]) if len(first) > 1 else ""
        round_number = int(m.group(1)) if (m := re.search(r"Round (\d+) of", first[-1].get("text", ""))) else 1
        last_use, last_result = self._last_call(messages)
        if last_result is not None and last_result.get("is_error"):
            return reply(f"Stopping this round: the tool answered an error ({str(last_result.get('content'))[:200]}).")
        groups = self._groups(digests)
        top = [g for g in sorted(groups.values(), key=lambda g: (-len(g["sessions"]), g["gist"])) if
               len(g["sessions"]) >= 2][:MAX_LINES_PER_ROUND]
        step = self._step(last_use)
        if step == "start":
            return reply(tool_use("memory", {"command": "view", "path": "/memories"}))
        if step == "viewed":
            if not top:
                return self._end_or_verify(round_number, groups, store)
            lines = "".join(f"- {g['gist']}: what worked next was `{g['fix']}` (seen in {len(g['sessions'])} "
                            "sessions).\n" for g in top)
            if "recurring-errors.md" in store:
                return reply(tool_use("memory", {"command": "str_replace", "path": LESSONS_FILE,
                                                 "old_str": LESSONS_HEADING, "new_str": LESSONS_HEADING + lines}))
            return reply(tool_use("memory", {"command": "create", "path": LESSONS_FILE,
                                             "file_text": LESSONS_HEADING + lines}))
        if step == "wrote":
            return reply(tool_use("annotate_change", {
                "path": LESSONS_FILE, "category": "pattern",
                "rationale": f"{len(top)} errors recur across sessions with the same recovery.",
                "evidence": self._evidence(top)}))
        if step == "annotated":
            return self._end_or_verify(round_number, groups, store)
        if step == "viewed_target" and self.verify is not None:
            path, needle = self.verify
            content = str(last_result.get("content") if last_result else "")
            line = next((raw.split("\t", 1)[1] for raw in content.split("\n")
                         if "\t" in raw and needle in raw.split("\t", 1)[1]), None)
            confirmed = self._confirmed(groups, needle)
            if line is None or not confirmed:
                return reply("Nothing to verify in that file.")
            return reply(tool_use("memory", {"command": "str_replace", "path": path, "old_str": line,
                                             "new_str": f"{line} (verified in session {confirmed[0]['session']})"}))
        if step == "verified" and self.verify is not None:
            confirmed = self._confirmed(groups, self.verify[1])
            return reply(tool_use("annotate_change", {
                "path": self.verify[0], "category": "verify",
                "rationale": "Sessions ran this command successfully.",
                "evidence": [{"session_id": c["session"], "event_ids": c["events"]}
                             for c in confirmed[:MAX_EVIDENCE_SESSIONS]]}))
        return reply(f"Round {round_number}: recorded {len(top)} recurring lessons from {len(groups)} kinds of error.")

    def _end_or_verify(self, round_number: int, groups: dict, store: str):
        if self.verify is not None and round_number == 1 and self.verify[0].removeprefix("/memories") in store \
                and self._confirmed(groups, self.verify[1]):
            return reply(tool_use("memory", {"command": "view", "path": self.verify[0]}))
        return reply(f"Round {round_number}: done, nothing more to change.")

    def _step(self, last_use: dict | None) -> str:
        if last_use is None:
            return "start"
        name, data = last_use.get("name"), last_use.get("input") or {}
        if name == "memory" and data.get("command") == "view":
            return "viewed" if data.get("path") == "/memories" else "viewed_target"
        if name == "memory" and data.get("path") == LESSONS_FILE:
            return "wrote"
        if name == "memory":
            return "verified"
        if name == "annotate_change" and data.get("path") == LESSONS_FILE:
            return "annotated"
        return "done"

    @staticmethod
    def _last_call(messages: list[dict]) -> tuple[dict | None, dict | None]:
        for index in range(len(messages) - 1, -1, -1):
            message = messages[index]
            if message["role"] != "assistant":
                continue
            uses = [b for b in message["content"] if isinstance(b, dict) and b.get("type") == "tool_use"]
            if not uses:
                return None, None
            following = messages[index + 1]["content"] if index + 1 < len(messages) else []
            result = next((b for b in following if isinstance(b, dict) and b.get("type") == "tool_result"
                           and b.get("tool_use_id") == uses[-1]["id"]), None)
            return uses[-1], result
        return None, None

    @staticmethod
    def _groups(digests: str) -> dict:
        """Lessons of the round's digests by error, each with the sessions and events that show it."""
        groups: dict[str, dict] = {}
        for session_id, block in _DIGEST.findall(digests):
            for line in block.split("\n"):
                match = _LESSON.match(line)
                if not match:
                    continue
                kind, text, ids = match.groups()
                events = [i.strip() for i in ids.split(",") if i.strip()]
                if kind == "confirmed_fact":
                    key = "ok:" + text
                    group = groups.setdefault(key, {"gist": text, "fix": "", "sessions": [], "confirmed": True})
                elif kind == "error_recovery" and "` failed: " in text:
                    _failed, _, rest = text.partition("` failed: ")
                    gist, _, fix = rest.rpartition("; `")
                    group = groups.setdefault("err:" + gist, {"gist": gist, "fix": fix.removesuffix("` worked next."),
                                                              "sessions": [], "confirmed": False})
                else:
                    continue
                group["sessions"].append({"session": session_id, "events": events})
        return groups

    @staticmethod
    def _confirmed(groups: dict, needle: str) -> list[dict]:
        return [s for g in groups.values() if g["confirmed"] and needle in g["gist"] for s in g["sessions"]]

    @staticmethod
    def _evidence(top: list[dict]) -> list[dict]:
        by_session: dict[str, list[str]] = {}
        for group in top:
            for seen in group["sessions"]:
                by_session.setdefault(seen["session"], []).extend(seen["events"])
        return [{"session_id": s, "event_ids": ids[:20]} for s, ids in list(by_session.items())[:MAX_EVIDENCE_SESSIONS]]
