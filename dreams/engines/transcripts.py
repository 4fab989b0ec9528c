"""Structured observations out of untrusted transcripts.

Analyzers never read transcript prose for meaning: they read *steps* (a tool call
paired with its result), and from a step only structured facts: the command and
its program, flags, paths, URLs and ports, whether it failed, an error class from
a fixed vocabulary, an HTTP status code and a timestamp. Any transcript text the
engine might quote back (a command, an error line) must pass `quotable()` first.
"""

import re
import shlex
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from dreams.engines.base import Event, SessionRecord

# Outcomes that say a session did not succeed: nothing it did counts as evidence that something works.
FAILED_OUTCOMES = frozenset({"failed", "max_iterations_reached", "interrupted", "needs_revision"})
SHELL_INPUT_KEYS = ("command", "cmd", "script")
MAX_QUOTE = 160
MAX_OUTPUT = 4_000


def usable(session: SessionRecord) -> bool:
    """Sessions whose successful steps may count as evidence (graded satisfied, or not graded)."""
    return session.outcome_result not in FAILED_OUTCOMES


def satisfied(session: SessionRecord) -> bool:
    return session.outcome_result == "satisfied"


class UsableSessionSteps:
    """For analyzers that judge a whole session's steps at its end: collects the steps of the
    session being read, and none of a session that is not `usable` (self.session is None then)."""

    session = None  # until the first start_session

    def start_session(self, session) -> None:
        self.session = session if usable(session) else None
        self.steps = []

    def observe(self, event, texts, step: "Step | None") -> None:
        if self.session is not None and step is not None:
            self.steps.append(step)


@dataclass(frozen=True)
class Step:
    """One tool call and its result."""

    tool: str
    command: str  # the call as one line: a shell command, or the tool name and its input values
    program: str  # what "the same command" means: the shell program, or the tool name
    argv: tuple[str, ...]
    use_event_id: str
    result_event_id: str
    ok: bool
    error_kind: str | None  # from ERROR_KINDS, None when ok
    error_line: str | None  # first line of the error output, None when ok
    status: int | None  # an HTTP status code seen in the result
    at: str  # the result's processed_at (ISO 8601), or ""
    output: str = ""  # the result's text, truncated to MAX_OUTPUT (matched, never quoted)
    target: str = ""  # the file a file tool acted on (its file_path / path / notebook_path input), or ""

    @property
    def day(self) -> str | None:
        return self.at[:10] if re.fullmatch(r"\d{4}-\d{2}-\d{2}", self.at[:10]) else None


@dataclass
class StepTracker:
    """Pairs tool_use events with their tool_result within one session (results name their tool_use)."""

    pending: dict[str, Event] = field(default_factory=dict)

    def reset(self) -> None:
        self.pending.clear()

    def feed(self, event: Event) -> Step | None:
        payload = event.payload
        if event.type in ("agent.tool_use", "agent.mcp_tool_use", "agent.custom_tool_use"):
            self.pending[event.id] = event
            return None
        if event.type not in ("agent.tool_result", "agent.mcp_tool_result", "user.custom_tool_result"):
            return None
        use = self.pending.pop(payload.get("tool_use_id") or payload.get("custom_tool_use_id") or "", None)
        if use is None:
            return None
        return make_step(use, event)


def make_step(use: Event, result: Event) -> Step:
    tool = str(use.payload.get("name") or "tool")
    command, program, argv = describe_call(tool, use.payload.get("input"))
    output = "\n".join(_block_texts(result.payload))
    status = http_status(output)
    failed = bool(result.payload.get("is_error")) or error_in(output) or (status is not None and status >= 400)
    error_line = error_line_of(output) if failed else None
    at = result.payload.get("processed_at")
    return Step(tool=tool, command=command, program=program, argv=argv, use_event_id=use.id,
                result_event_id=result.id, ok=not failed, error_kind=classify_error(output, status) if failed else None,
                error_line=error_line, status=status, at=at if isinstance(at, str) else "",
                output=output[:MAX_OUTPUT], target=file_target(use.payload.get("input")))


FILE_INPUT_KEYS = ("file_path", "path", "notebook_path")


def file_target(tool_input) -> str:
    """The file a file tool (Read, Edit, Write, …) names, for telling "the same file" across calls."""
    if isinstance(tool_input, dict):
        for key in FILE_INPUT_KEYS:
            if isinstance(tool_input.get(key), str) and tool_input[key].strip():
                return tool_input[key].strip()
    return ""


def describe_call(tool: str, tool_input) -> tuple[str, str, tuple[str, ...]]:
    if isinstance(tool_input, dict):
        for key in SHELL_INPUT_KEYS:
            if isinstance(tool_input.get(key), str):
                command = " ".join(tool_input[key].split())
                argv = split_args(command)
                return command, shell_program(argv) or tool, argv
        # Other tools (http, sql, ...): the tool name then its scalar input values, in key order.
        values = [str(v) for _, v in sorted(tool_input.items()) if isinstance(v, (str, int, float)) and str(v)]
        command = " ".join(" ".join([tool, *values]).split())
        return command, tool, split_args(command)
    return tool, tool, (tool,)


def split_args(command: str) -> tuple[str, ...]:
    try:
        return tuple(shlex.split(command))
    except ValueError:  # unbalanced quotes: still usable as plain words
        return tuple(command.split())


def shell_program(argv: tuple[str, ...]) -> str | None:
    for word in argv:
        if word in ("sudo", "env", "time", "nohup", "exec") or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", word):
            continue
        return word.rsplit("/", 1)[-1]
    return None


def words(argv: tuple[str, ...]) -> tuple[str, ...]:
    """The call's words: its arguments, with quoted arguments (a SQL query, a script) split on
    whitespace, so an identifier inside a query is one word like any other argument."""
    return tuple(w for arg in argv for w in arg.split())


_HELP_WORDS = frozenset({"--help", "help", "--usage"})


def is_lookup(step: Step) -> bool:
    """A call that asks about the tool (`--help`, `help`) rather than doing the work."""
    return any(a in _HELP_WORDS for a in step.argv[1:])


def command_key(command: str) -> str:
    """Commands that differ only in numbers (hosts, ids, durations) are the same command."""
    return re.sub(r"\d+", "N", command)


# --- results ----------------------------------------------------------------------------------------------

_ERROR_LINE = re.compile(
    r"^\s*(?:error|fatal|err!?|exception|traceback)\b|\bunknown (?:flag|option|command|value|argument|shorthand)|"
    r"\bunrecognized (?:option|argument|arguments)|\bcommand not found|\bno such (?:file|table|column|command)|"
    r"\bdoes(?: not|n[’']t) exist\b|\bexit (?:code|status):? ?[1-9]|\bpermission denied\b|\bsyntax error\b|"
    r"\bflag provided but not defined\b",
    re.IGNORECASE | re.MULTILINE,
)
_STATUS = re.compile(r"\bHTTP/\d(?:\.\d)?\s+([1-5]\d\d)\b|\"?\bstatus(?:_code|Code)?\"?\s*[:=]\s*([1-5]\d\d)\b",
                     re.IGNORECASE)

# A fixed vocabulary: only these labels ever describe an error in what the engine writes.
ERROR_KINDS = (
    ("unknown flag", r"unknown (?:flag|option|value|argument|shorthand)|unrecognized (?:option|argument)|"
                     r"invalid (?:option|flag|value)|flag provided but not defined"),
    ("unknown command", r"unknown command|command not found|no such command|is not a \S+ command"),
    ("removed", r"\b(?:deprecated|removed|no longer supported|has been renamed)\b"),
    ("not found", r"not found|no such (?:file|table|column)|does(?: not|n[’']t) exist|\bENOENT\b|"
                  r"unknown (?:table|column|relation|database|schema)"),
    ("permission denied", r"permission denied|forbidden|unauthori[sz]ed|access denied"),
    ("overloaded", r"overloaded|too many requests|rate limit|unavailable|deadlock|lock wait"),
    ("timeout", r"timed out|timeout|deadline exceeded"),
    ("syntax error", r"syntax error|parse error|invalid syntax"),
)
_KIND_ANY = re.compile("|".join(f"(?:{pattern})" for _, pattern in ERROR_KINDS), re.IGNORECASE)
_STATUS_KINDS = {404: "not found", 410: "removed", 401: "permission denied", 403: "permission denied",
                 408: "timeout", 504: "timeout", 429: "overloaded", 503: "overloaded", 400: "bad request",
                 422: "bad request", 405: "unknown command"}
# Errors that say the call itself is wrong (a flag, a name, an endpoint), not that the world was busy.
STALE_KINDS = frozenset({"unknown flag", "unknown command", "removed", "not found", "bad request", "syntax error"})


def error_in(output: str) -> bool:
    return bool(_ERROR_LINE.search(output))


def http_status(output: str) -> int | None:
    match = _STATUS.search(output)
    return int(match.group(1) or match.group(2)) if match else None


def classify_error(output: str, status: int | None) -> str:
    for kind, pattern in ERROR_KINDS:
        if re.search(pattern, output, re.IGNORECASE):
            return kind
    if status is not None and status in _STATUS_KINDS:
        return _STATUS_KINDS[status]
    return f"HTTP {status}" if status is not None and status >= 400 else "error"


def error_line_of(output: str) -> str:
    """The line that says what went wrong: the first line a known error class names, else the first
    error-looking line, else the first line (tools often print progress before the error)."""
    lines = [line for line in output.split("\n") if line.strip()]
    for kind_pattern in (_KIND_ANY, _ERROR_LINE):
        for line in lines:
            if kind_pattern.search(line):
                return " ".join(line.split())[:300]
    return first_line(output)


def first_line(output: str) -> str:
    for line in output.split("\n"):
        if line.strip():
            return " ".join(line.split())[:300]
    return ""


def error_signature(error_line: str) -> str:
    """The error's identity across sessions: no leading `error:` labels, numbers as N, lower case."""
    text = re.sub(r"^(?:\s*(?:error|fatal|err!?)\s*:\s*)+", "", error_line, flags=re.IGNORECASE)
    return re.sub(r"\d+", "N", text.lower()).strip()


# --- what may be quoted ----------------------------------------------------------------------------------

_INJECTION = re.compile(
    r"ignor|disregard|forget|from now on|remember|system (?:note|prompt|message)|memory|instruction|"
    r"assistant|you (?:are|must|should)|add (?:the|a|this) rule|silenc|override|\bprompt\b|jailbreak|"
    r"do not (?:report|alert|page|tell)|never (?:report|alert|page|tell)|<\s*/?\s*(?:system|script)",
    re.IGNORECASE,
)
_IMPERATIVE = re.compile(r"\b(?:always|never|must|should|please|important|note to|rule|policy)\b", re.IGNORECASE)


def quotable(text: str | None, *, prose: bool = False) -> bool:
    """May this transcript text appear in memory? Commands and error lines only, short, with no
    instruction-like wording (prose=True also refuses imperative words: an error line has no business
    telling anyone what to do)."""
    if not text or len(text) > MAX_QUOTE or "\n" in text or "`" in text:
        return False
    if _INJECTION.search(text):
        return False
    return not (prose and _IMPERATIVE.search(text))


# --- event text and anchors ------------------------------------------------------------------------------

def _block_texts(payload: dict):
    content = payload.get("content")
    if isinstance(content, str):
        yield content
        return
    for block in content or []:
        if isinstance(block, dict) and isinstance(block.get("text"), str):
            yield block["text"]
        elif isinstance(block, dict) and isinstance(block.get("content"), list):  # nested tool_result blocks
            yield from _block_texts(block)


def event_texts(payload: dict) -> list[str]:
    """The readable text of an event (message and result blocks, tool inputs): charged and searched."""
    texts = list(_block_texts(payload))
    tool_input = payload.get("input")
    if isinstance(tool_input, dict):
        texts += [v for _, v in sorted(tool_input.items()) if isinstance(v, str)]
    return texts


_URL = re.compile(r"\bhttps?://[^\s`'\"<>)]+")
_PATH = re.compile(r"(?<![\w.:/~-])/[A-Za-z0-9_.~{}-]+(?:/[A-Za-z0-9_.~{}-]+)*/?")
_FLAG = re.compile(r"(?<![\w-])--[A-Za-z][\w-]*")
_PORT = re.compile(r"\bport\s+(\d{2,5})\b", re.IGNORECASE)
_CODE = re.compile(r"`([^`\n]+)`")


@dataclass(frozen=True)
class Anchors:
    """The checkable parts of a remembered fact, or of a call."""

    commands: frozenset[str] = frozenset()  # code spans (facts) / the whole command (calls)
    paths: frozenset[str] = frozenset()  # filesystem paths and URL paths
    ports: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    hosts: frozenset[str] = frozenset()


def fact_anchors(text: str) -> Anchors:
    codes = [" ".join(c.split()) for c in _CODE.findall(text)]
    prose = _CODE.sub(" ", text)
    paths, ports, hosts = set(), set(_PORT.findall(prose)), set()
    for url in _URL.findall(prose):
        parts = urlsplit(url.rstrip(".,;:!?"))  # sentence punctuation is not part of the URL
        hosts.add(parts.hostname or "")
        if parts.port:
            ports.add(str(parts.port))
        if parts.path not in ("", "/"):
            paths.add(parts.path.rstrip("/"))
    for path in _PATH.findall(_URL.sub(" ", prose)):
        path = path.rstrip(".")
        paths.add(path.rstrip("/") or path)
    return Anchors(commands=frozenset(codes), paths=frozenset(paths), ports=frozenset(ports),
                   flags=frozenset(_FLAG.findall(prose)), hosts=frozenset(h for h in hosts if h))


def call_anchors(step: Step) -> Anchors:
    paths, ports, hosts, flags = set(), set(), set(), set()
    for arg in step.argv:
        for part in (arg, *arg.split("=", 1)[1:]):
            if part.startswith(("http://", "https://")):
                parts = urlsplit(part)
                hosts.add(parts.hostname or "")
                if parts.port:
                    ports.add(str(parts.port))
                if parts.path not in ("", "/"):
                    paths.add(parts.path.rstrip("/"))
            elif part.startswith("/"):
                paths.add(part.rstrip("/") or part)
        if arg.startswith("-"):
            flags.add(arg.split("=", 1)[0])
    return Anchors(commands=frozenset({step.command}), paths=frozenset(paths), ports=frozenset(ports),
                   flags=frozenset(flags), hosts=frozenset(h for h in hosts if h))


def contains_span(text: str, span: str) -> bool:
    """`span` occurs in `text` as whole words (not inside a longer flag, name or number)."""
    return find_span(text, span) >= 0


def find_span(text: str, span: str) -> int:
    if not span:
        return -1
    for match in re.finditer(re.escape(span), text):
        before = text[match.start() - 1] if match.start() else " "
        after = text[match.end()] if match.end() < len(text) else " "
        if not (before.isalnum() or before in "_-" and span[0].isalnum()) and not (after.isalnum() or after in "_-"):
            return match.start()
    return -1
