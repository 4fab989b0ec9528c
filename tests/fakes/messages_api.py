"""A fake Anthropic Messages API on loopback, for tests and benchmarks.

Engine code talks to it through the real `anthropic` SDK (`base_url=fake.url`), so the SDK's
own retries, error classes, tool runner and thread fallback run exactly as they do against the
real API. The fake validates requests the way the API does, estimates tokens, simulates prompt
caching and (optionally) server-side threads, and answers with scripted replies:

    with FakeMessagesAPI() as fake:
        fake.script(reply(tool_use("memory", {"command": "view", "path": "/memories"})),
                    error(529, "overloaded_error", "Overloaded"),
                    reply(text("Done.")))
        client = anthropic.Anthropic(api_key="sk-test", base_url=fake.url)

Where a reply comes from, in order: the FIFO queue of `script()`, then `always()`, then
`handler` (a "brain" that computes replies), else a 500 so a test notices it ran out.
Pure stdlib; each fake serves from its own daemon thread on a free port.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import itertools
import json
import math
import re
import socket
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

# A small per-message overhead, like the role markers the real tokenizer adds.
PER_MESSAGE_TOKENS = 4
MAX_CACHE_BREAKPOINTS = 4
# The API looks for an earlier cache entry at most about 20 blocks back from each breakpoint.
CACHE_LOOKBACK_BLOCKS = 20
# The beta the SDK's threads send (anthropic/lib/threads/_thread_state.py).
THREADS_BETA = "message-threads-2026-08-12"
TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
MESSAGES_PATH = "/v1/messages"
COUNT_TOKENS_PATH = "/v1/messages/count_tokens"


def _new_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:24]


# --- Replies ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """A message the fake model answers with."""

    content: list[dict]
    stop_reason: str


@dataclass(frozen=True)
class Error:
    """An error response in the API's envelope."""

    status: int
    type: str
    message: str
    headers: dict[str, str] | None = None
    details: dict | None = None


@dataclass(frozen=True)
class Delay:
    """`reply`, answered only after `seconds` (the rest of the fake keeps serving meanwhile)."""

    seconds: float
    reply: Any


def text(value: str) -> dict:
    return {"type": "text", "text": value}


def tool_use(name: str, input: dict, id: str | None = None) -> dict:
    # The id is made here, so a test can refer to it (`call["id"]`) before the request is sent.
    return {"type": "tool_use", "id": id or _new_id("toolu_"), "name": name, "input": input}


def reply(*blocks: dict | str, stop_reason: str | None = None) -> Reply:
    content = [text(block) if isinstance(block, str) else block for block in blocks]
    if stop_reason is None:
        stop_reason = "tool_use" if any(block.get("type") == "tool_use" for block in content) else "end_turn"
    return Reply(content, stop_reason)


def error(status: int, type: str, message: str, headers: dict[str, str] | None = None,
          details: dict | None = None) -> Error:
    """An error reply. A status the SDK retries gets `retry-after-ms: 1` unless `headers` set
    `retry-after` or `retry-after-ms` themselves; note the SDK ignores a wait of 0 (`retry-after: 0`)
    and falls back to its own backoff of 0.5 s and up."""
    return Error(status, type, message, headers, details)


def delay(seconds: float, reply: Any) -> Delay:
    return Delay(seconds, reply)


def _invalid(message: str, details: dict | None = None) -> Error:
    return Error(400, "invalid_request_error", message, details=details)


# --- Recording ----------------------------------------------------------------------------------


@dataclass
class Recorded:
    """One request as the fake received it, and what it answered.

    `body` is what the client sent; `full_body` is what the model reads, which differs only for a
    server-side thread `continue` (the stored history, system and tools are put back in). `tokens`
    is `count_tokens(full_body)`.
    """

    path: str
    headers: dict[str, str]
    body: dict
    tokens: int = 0
    reply_status: int | None = None
    usage: dict | None = None
    query: dict[str, str] = field(default_factory=dict)
    response: dict | None = None
    full_body: dict = None  # type: ignore[assignment]

    def __post_init__(self):
        if self.full_body is None:
            self.full_body = self.body

    @property
    def messages(self) -> list[dict]:
        return self.full_body.get("messages") or []

    @property
    def thread(self) -> dict | None:
        return self.body.get("thread")


# --- Token estimates ----------------------------------------------------------------------------


def _tokens(chars: int) -> int:
    return math.ceil(chars / 4)


def _uncached(block: dict) -> dict:
    # A breakpoint changes neither what the model reads nor the cache key of what comes before it.
    return {key: value for key, value in block.items() if key != "cache_control"}


def _canonical(value: Any) -> str:
    if isinstance(value, dict):
        value = _uncached(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _block_chars(block: Any) -> int:
    """Characters of a content block that the model reads."""
    if isinstance(block, str):
        return len(block)
    if not isinstance(block, dict):
        return 0
    kind = block.get("type")
    if kind == "text":
        return len(str(block.get("text", "")))
    if kind == "tool_use":
        return len(str(block.get("name", ""))) + len(json.dumps(block.get("input", {})))
    if kind == "tool_result":
        content = block.get("content", "")
        if isinstance(content, list):
            return sum(_block_chars(item) for item in content)
        return len(str(content))
    if kind == "thinking":
        return len(str(block.get("thinking", "")))
    return len(_canonical(block))


def _cache_marks(block: Any) -> int:
    """How many `cache_control` markers a block carries (a tool result's inner blocks may have their own)."""
    if not isinstance(block, dict):
        return 0
    inner = block.get("content") if block.get("type") == "tool_result" else None
    nested = sum(_cache_marks(item) for item in inner) if isinstance(inner, list) else 0
    return (1 if block.get("cache_control") else 0) + nested


@dataclass
class _Unit:
    """One block of the prompt in the API's prefix order: tokens, cache key text, breakpoint markers."""

    tokens: int
    key: str
    marks: int


def _content_blocks(content: Any) -> list:
    if isinstance(content, str):
        return [content]
    return list(content) if isinstance(content, list) else []


def _prompt_units(body: dict) -> list[_Unit]:
    """The request as the model reads it: tools, then system, then messages, block by block."""
    units = []
    tools = body.get("tools")
    for tool in tools if isinstance(tools, list) else []:
        key = _canonical(tool)
        units.append(_Unit(_tokens(len(key)), "tool:" + key, _cache_marks(tool)))
    system = body.get("system")
    for block in _content_blocks(system):
        if block:
            units.append(_Unit(_tokens(_block_chars(block)), "system:" + _canonical(block), _cache_marks(block)))
    messages = body.get("messages")
    for message in messages if isinstance(messages, list) else []:
        if not isinstance(message, dict):
            continue
        role = str(message.get("role"))
        blocks = _content_blocks(message.get("content"))
        if not blocks:
            units.append(_Unit(PER_MESSAGE_TOKENS, role + ":", 0))
        for index, block in enumerate(blocks):
            # The message's overhead goes with its first block, so every unit is one block.
            overhead = PER_MESSAGE_TOKENS if index == 0 else 0
            head = role + ":" if index == 0 else ":"
            units.append(_Unit(_tokens(_block_chars(block)) + overhead, head + _canonical(block),
                               _cache_marks(block)))
    if body.get("cache_control") and units:
        # Top-level cache_control puts a breakpoint on the last block.
        units[-1].marks += 1
    return units


def count_tokens(body: dict) -> int:
    """Estimated input tokens of a request: ceil(characters / 4) per block of everything the model
    reads (tool definitions as JSON, system, message text, tool calls and results) plus
    PER_MESSAGE_TOKENS per message. Per block, so that cached prefixes add up exactly."""
    return sum(unit.tokens for unit in _prompt_units(body))


def _output_tokens(content: list[dict]) -> int:
    # The real API never reports zero output tokens, even for an empty reply.
    return max(1, sum(_tokens(_block_chars(block)) for block in content))


def _fit(content: list[dict], budget: int) -> tuple[list[dict], bool]:
    """The reply cut to `max_tokens`, and whether it had to be cut."""
    kept, used = [], 0
    for block in content:
        cost = _tokens(_block_chars(block))
        if used + cost <= budget:
            kept.append(block)
            used += cost
            continue
        room = budget - used
        if block.get("type") == "text" and room > 0:
            kept.append({**block, "text": block["text"][: room * 4]})
        # A tool call cut short is dropped: its input would be incomplete JSON.
        return kept, True
    return kept, False


# --- Validation ---------------------------------------------------------------------------------


def _validate_tools(tools: Any) -> tuple[set[str], Error | None]:
    if tools is None:
        return set(), None
    if not isinstance(tools, list):
        return set(), _invalid("tools: Input should be a valid list")
    names: set[str] = set()
    for k, tool in enumerate(tools):
        if not isinstance(tool, dict):
            return names, _invalid(f"tools.{k}: Input should be a valid dictionary")
        name = tool.get("name")
        if tool.get("type") in (None, "custom"):
            if not isinstance(name, str):
                return names, _invalid(f"tools.{k}.custom.name: Field required")
            if not TOOL_NAME.match(name):
                return names, _invalid(f"tools.{k}.custom.name: String should match pattern '{TOOL_NAME.pattern}'")
            if not isinstance(tool.get("input_schema"), dict):
                return names, _invalid(f"tools.{k}.custom.input_schema: Field required")
        # Server and SDK-defined tools ({"type": "memory_20250818", "name": "memory"}) count by name.
        if isinstance(name, str):
            if name in names:
                return names, _invalid("tools: Tool names must be unique.")
            names.add(name)
    return names, None


def _validate_system(system: Any) -> Error | None:
    if system is None or isinstance(system, str):
        return None
    if not isinstance(system, list):
        return _invalid("system: Input should be a valid string or a list of text blocks")
    for k, block in enumerate(system):
        if not isinstance(block, dict) or block.get("type") != "text":
            return _invalid(f"system.{k}: Input should be a text block")
        if not isinstance(block.get("text"), str) or not block["text"]:
            return _invalid(f"system.{k}: text content blocks must be non-empty")
    return None


def _validate_message_shapes(messages: list) -> Error | None:
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            return _invalid(f"messages.{i}: Input should be a valid dictionary")
        # "system" messages are what the SDK's tool runner sends for add_tools()/remove_tools().
        if message.get("role") not in ("user", "assistant", "system"):
            return _invalid(f"messages.{i}.role: Input should be 'user' or 'assistant'")
        if "content" not in message:
            return _invalid(f"messages.{i}.content: Field required")
        content = message["content"]
        if not isinstance(content, (str, list)):
            return _invalid(f"messages.{i}.content: Input should be a valid string or list")
        final_assistant = i == len(messages) - 1 and message["role"] == "assistant"
        if not content and not final_assistant:
            return _invalid(f"messages.{i}: all messages must have non-empty content except for the optional "
                            "final assistant message")
        for j, block in enumerate(content if isinstance(content, list) else []):
            where = f"messages.{i}.content.{j}"
            if not isinstance(block, dict) or not isinstance(block.get("type"), str):
                return _invalid(f"{where}.type: Field required")
            kind = block["type"]
            if kind == "text" and (not isinstance(block.get("text"), str) or not block["text"]):
                return _invalid(f"{where}: text content blocks must be non-empty")
            if kind == "tool_use":
                if message["role"] != "assistant":
                    return _invalid(f"{where}: `tool_use` blocks can only be in `assistant` messages")
                if not all(isinstance(block.get(key), str) for key in ("id", "name")):
                    return _invalid(f"{where}: `tool_use` blocks need an `id` and a `name`")
                if not isinstance(block.get("input"), dict):
                    return _invalid(f"{where}.input: Input should be a valid dictionary")
            if kind == "tool_result":
                if message["role"] != "user":
                    return _invalid(f"{where}: `tool_result` blocks can only be in `user` messages")
                if not isinstance(block.get("tool_use_id"), str):
                    return _invalid(f"{where}.tool_use_id: Field required")
    return None


def _blocks_of(message: dict, kind: str) -> list[tuple[int, dict]]:
    content = message["content"]
    return [(j, b) for j, b in enumerate(content if isinstance(content, list) else []) if b["type"] == kind]


def _validate_conversation(messages: list, tool_names: set[str]) -> Error | None:
    """Roles and tool-call pairing, over the user/assistant turns (SDK "system" messages sit between them)."""
    turns = [(i, m) for i, m in enumerate(messages) if m["role"] != "system"]
    if not turns or turns[0][1]["role"] != "user":
        return _invalid('messages: first message must use the "user" role')
    for (_, before), (_, after) in itertools.pairwise(turns):
        if before["role"] == after["role"]:
            return _invalid('messages: roles must alternate between "user" and "assistant", but found multiple '
                            f'"{after["role"]}" roles in a row')
    for position, (i, message) in enumerate(turns):
        if message["role"] == "assistant":
            calls = _blocks_of(message, "tool_use")
            for j, call in calls:
                if call["name"] not in tool_names:
                    if not tool_names:
                        return _invalid("Requests which include `tool_use` or `tool_result` blocks must define tools.")
                    return _invalid(f"messages.{i}.content.{j}: tool `{call['name']}` is not defined in `tools`")
            following = turns[position + 1][1] if position + 1 < len(turns) else None
            answered = {b["tool_use_id"] for _, b in _blocks_of(following, "tool_result")} if following else set()
            missing = [call["id"] for _, call in calls if call["id"] not in answered]
            if missing:
                return _invalid(f"messages.{i + 1}: `tool_use` ids were found without `tool_result` blocks "
                                f"immediately after: {', '.join(missing)}. Each `tool_use` block must have a "
                                "corresponding `tool_result` block in the next message.")
        else:
            previous = turns[position - 1][1] if position > 0 else None
            asked = {b["id"] for _, b in _blocks_of(previous, "tool_use")} if previous else set()
            for j, result in _blocks_of(message, "tool_result"):
                if result["tool_use_id"] not in asked:
                    return _invalid(f"messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` "
                                    f"blocks: {result['tool_use_id']}. Each `tool_result` block must have a "
                                    "corresponding `tool_use` block in the previous message.")
    return None


def validate(body: dict, *, counting: bool = False) -> Error | None:
    """The 400 the real API would answer `body` with, or None. `counting`: the count_tokens endpoint,
    which takes no max_tokens."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        return _invalid("model: Field required")
    if not counting:
        if "max_tokens" not in body:
            return _invalid("max_tokens: Field required")
        max_tokens = body["max_tokens"]
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool):
            return _invalid("max_tokens: Input should be a valid integer")
        if max_tokens < 1:
            return _invalid("max_tokens: Input should be greater than or equal to 1")
    tool_names, problem = _validate_tools(body.get("tools"))
    problem = problem or _validate_system(body.get("system"))
    if problem:
        return problem
    messages = body.get("messages")
    if messages is None:
        return _invalid("messages: Field required")
    if not isinstance(messages, list):
        return _invalid("messages: Input should be a valid list")
    if not messages:
        return _invalid("messages: at least one message is required")
    problem = _validate_message_shapes(messages) or _validate_conversation(messages, tool_names)
    if problem:
        return problem
    marks = sum(unit.marks for unit in _prompt_units(body))
    if marks > MAX_CACHE_BREAKPOINTS:
        return _invalid(f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. "
                        f"Found {marks}.")
    return None


# --- The server ---------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Keep-alive connections park a thread each; stop() must not wait for them.
    block_on_close = False
    fake: FakeMessagesAPI

    def handle_error(self, request, client_address):
        # A client that hangs up (a cancelled call, a closed SDK client) is normal here, not an error.
        pass


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keep-alive, as the SDK's connection pool expects.
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self):
        super().setup()
        # Headers and body go out in two writes; without this, Nagle and delayed ACKs add 40 ms a reply.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.fake._track(self.connection, add=True)

    def finish(self):
        with contextlib.suppress(OSError):
            super().finish()
        self.server.fake._track(self.connection, add=False)

    def do_POST(self):
        self.server.fake._serve(self)

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

    def log_message(self, format, *args):
        pass


_UNSET = object()


class FakeMessagesAPI:
    """The fake server. Options:

    api_key: the only key accepted (None: any non-empty key). models: the model ids that exist
    (None: any). context_limit: the model's context window in tokens. min_cache_tokens: shortest
    prefix the prompt cache stores. latency: seconds slept before answering every request.
    threads: support server-side threads (the `thread` request field); when False the fake
    rejects it the way the API rejects an unthreadable request, so the SDK falls back.
    handler: `fn(request: Recorded) -> reply`, used once the script is empty.
    """

    def __init__(self, *, api_key: str | None = None, models: set[str] | None = None, context_limit: int = 200_000,
                 min_cache_tokens: int = 1024, latency: float = 0.0, threads: bool = False,
                 handler: Callable[[Recorded], Any] | None = None):
        self.api_key = api_key
        self.models = frozenset(models) if models is not None else None
        self.context_limit = context_limit
        self.min_cache_tokens = min_cache_tokens
        self.latency = latency
        self.threads = threads
        self.handler = handler
        self.url: str | None = None
        self._lock = threading.Lock()
        self._queue: collections.deque = collections.deque()
        self._always: Any = _UNSET
        self._requests: list[Recorded] = []
        self._cache: set[str] = set()
        self._threads: dict[str, dict] = {}  # reply id -> {"system", "tools", "messages"} for `continue`
        self._continued: set[str] = set()
        self._continuing: set[str] = set()
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle

    def start(self) -> Self:
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01},
                                        name="fake-messages-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # wakes handlers sleeping in latency or delay()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:  # so kept-alive connections stop being served too
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # Scripting

    def script(self, *replies: Any) -> None:
        """Queue replies, answered one per request in order: `reply(...)`, `error(...)`, `delay(...)`,
        a plain string (a text reply), or `fn(request) -> reply`."""
        with self._lock:
            self._queue.extend(replies)

    def always(self, reply: Any) -> None:
        """Answer every request with `reply` once the script is empty (None: stop doing so)."""
        with self._lock:
            self._always = _UNSET if reply is None else reply

    @property
    def pending(self) -> int:
        """Scripted replies not answered yet."""
        with self._lock:
            return len(self._queue)

    @property
    def requests(self) -> list[Recorded]:
        """Every request so far, oldest first (a snapshot)."""
        with self._lock:
            return list(self._requests)

    def calls_with_tool(self, name: str) -> list[dict]:
        """The `tool_use` blocks named `name` that the fake answered with, in order."""
        return [block for request in self.requests if request.response
                for block in request.response.get("content", [])
                if block.get("type") == "tool_use" and block.get("name") == name]

    # Serving

    def _track(self, connection: socket.socket, *, add: bool) -> None:
        with self._lock:
            (self._connections.add if add else self._connections.discard)(connection)

    def _serve(self, handler: _Handler) -> None:
        url = urlsplit(handler.path)
        raw = handler.rfile.read(int(handler.headers.get("content-length") or 0))
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        record = Recorded(path=url.path, headers={k.lower(): v for k, v in handler.headers.items()},
                          body=body if isinstance(body, dict) else {}, query=dict(parse_qsl(url.query)))
        record.tokens = count_tokens(record.body)
        with self._lock:
            self._requests.append(record)
        if self._stopping.wait(self.latency):
            return
        request_id = _new_id("req_")
        answer = self._answer(handler.command, record, body)
        if answer is None:  # stopped while delaying
            return
        record.reply_status = answer.status if isinstance(answer, Error) else 200
        if isinstance(answer, Error):
            payload = {"type": "error", "error": {"type": answer.type, "message": answer.message},
                       "request_id": request_id}
            if answer.details is not None:
                payload["error"]["details"] = answer.details
            self._send(handler, answer.status, payload, request_id, self._error_headers(answer))
        else:
            self._send(handler, 200, answer, request_id, {})

    @staticmethod
    def _error_headers(answer: Error) -> dict[str, str]:
        headers = dict(answer.headers or {})
        retried = answer.status in (408, 409, 429) or answer.status >= 500
        if retried and not {"retry-after", "retry-after-ms"} & {key.lower() for key in headers}:
            # The SDK waits what retry-after-ms says (else 0.5 s, doubling): keep test retries instant.
            headers["retry-after-ms"] = "1"
        return headers

    @staticmethod
    def _send(handler: _Handler, status: int, payload: dict, request_id: str, headers: dict[str, str]) -> None:
        data = json.dumps(payload).encode()
        try:
            handler.send_response(status)
            handler.send_header("content-type", "application/json")
            handler.send_header("content-length", str(len(data)))
            handler.send_header("request-id", request_id)
            for key, value in headers.items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(data)
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (a timeout or a cancelled dream): nothing to answer.
            handler.close_connection = True

    def _authorized(self, headers: dict[str, str]) -> bool:
        key = headers.get("x-api-key")
        authorization = headers.get("authorization", "")
        if not key and authorization.startswith("Bearer "):
            key = authorization[len("Bearer "):]
        return bool(key) and (self.api_key is None or key == self.api_key)

    def _answer(self, method: str, record: Recorded, body: Any) -> Error | dict | None:
        if not self._authorized(record.headers):
            return Error(401, "authentication_error", "invalid x-api-key")
        if method != "POST" or record.path not in (MESSAGES_PATH, COUNT_TOKENS_PATH):
            return Error(404, "not_found_error", "Not Found")
        if not isinstance(body, dict):
            return _invalid("There was an issue with the request body: it must be a JSON object")
        if record.path == COUNT_TOKENS_PATH:
            return self._count(body)
        if body.get("stream"):
            return _invalid("fake: streaming is not supported; call without stream=True")
        full, problem, continued = self._open_thread(body, record.headers)
        try:
            if problem:
                return problem
            record.full_body = full
            record.tokens = count_tokens(full)
            problem = validate(full) or self._check_model(full) or self._check_context(full, record.tokens)
            if problem:
                return problem
            answer = self._resolve(self._next_reply(), record)
            if not isinstance(answer, Reply):
                return answer
            message = self._message(full, answer)
            record.usage, record.response = message["usage"], message
            if body.get("thread"):
                self._keep_thread(full, message, continued)
            return message
        finally:
            if continued:
                with self._lock:
                    self._continuing.discard(continued)

    def _count(self, body: dict) -> Error | dict:
        if "thread" in body:
            return _invalid("thread: Extra inputs are not permitted")
        problem = validate(body, counting=True) or self._check_model(body)
        return problem or {"input_tokens": count_tokens(body)}

    def _check_model(self, body: dict) -> Error | None:
        if self.models is not None and body["model"] not in self.models:
            return Error(404, "not_found_error", f"model: {body['model']}")
        return None

    def _check_context(self, body: dict, tokens: int) -> Error | None:
        limit, max_tokens = self.context_limit, body["max_tokens"]
        if tokens > limit:
            return _invalid(f"prompt is too long: {tokens} tokens > {limit} maximum")
        if tokens + max_tokens > limit:
            return _invalid(f"input length and max_tokens exceed context limit: {tokens} + {max_tokens} > {limit}, "
                            "decrease input length or max_tokens and try again")
        return None

    # Threads (anthropic/lib/threads): the server holds the conversation under each reply's id.

    def _open_thread(self, body: dict, headers: dict[str, str]) -> tuple[dict, Error | None, str | None]:
        """The body the model reads, a rejection, and the reply id being continued (held until answered)."""
        thread = body.get("thread")
        if thread is None:
            return body, None, None
        if not self.threads:
            # What the SDK's tool runner reads to retry without `thread` (_thread_state._unsupported_features).
            return body, _invalid("thread: this server does not support Threads; send the full conversation "
                                  "without `thread`",
                                  details={"error_code": "thread_unsupported_request", "unsupported": ["thread"]}), None
        if THREADS_BETA not in headers.get("anthropic-beta", ""):
            return body, _invalid(f"thread: requires the `anthropic-beta: {THREADS_BETA}` header"), None
        rest = {key: value for key, value in body.items() if key != "thread"}
        kind = thread.get("type") if isinstance(thread, dict) else None
        if kind == "create":
            return rest, None, None
        if kind != "continue":
            return body, _invalid("thread.type: Input should be 'create' or 'continue'"), None
        previous = thread.get("previous_message_id")
        for name in ("system", "tools"):
            if name in body:
                return body, _invalid(f"{name}: cannot be sent when continuing a thread; the thread keeps the "
                                      f"`{name}` it was created with"), None
        if not isinstance(body.get("messages"), list):
            return body, _invalid("messages: Input should be a valid list"), None
        with self._lock:
            stored = self._threads.get(previous)
            if stored is None:
                return body, Error(404, "not_found_error", f"thread: no thread found for {previous}",
                                   details={"error_code": "thread_not_found"}), None
            if previous in self._continued:
                return body, _invalid(f"thread: {previous} was already continued",
                                      details={"error_code": "thread_already_continued"}), None
            if previous in self._continuing:
                return body, _invalid(f"thread: another request is continuing from {previous}",
                                      details={"error_code": "thread_continue_in_flight"}), None
            self._continuing.add(previous)
        kept = {name: stored[name] for name in ("system", "tools") if name in stored}
        return {**rest, **kept, "messages": [*stored["messages"], *body["messages"]]}, None, previous

    def _keep_thread(self, full: dict, message: dict, continued: str | None) -> None:
        conversation = {name: full[name] for name in ("system", "tools") if name in full}
        conversation["messages"] = [*full["messages"], {"role": "assistant", "content": message["content"]}]
        with self._lock:
            if continued:
                self._continued.add(continued)
            self._threads[message["id"]] = conversation

    # Replies

    def _next_reply(self) -> Any:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            if self._always is not _UNSET:
                return self._always
        if self.handler is not None:
            return self.handler
        return Error(500, "api_error", "fake: no scripted reply left")

    def _resolve(self, spec: Any, record: Recorded) -> Reply | Error | None:
        """Turn a scripted reply into a Reply or an Error: call functions, wait out delays."""
        while True:
            if isinstance(spec, (Reply, Error)):
                return spec
            if isinstance(spec, str):
                return reply(text(spec))
            if isinstance(spec, Delay):
                if self._stopping.wait(spec.seconds):
                    return None
                spec = spec.reply
            elif callable(spec):
                try:
                    spec = spec(record)
                except Exception as exc:  # noqa: BLE001 -- any bug in a test brain must reach the test
                    # Shown in the test's captured output; the client sees a 500, as from a broken server.
                    traceback.print_exc()
                    return Error(500, "api_error", f"fake: the reply function raised {exc!r}")
            else:
                return Error(500, "api_error", f"fake: not a reply: {spec!r}")

    def _message(self, body: dict, answer: Reply) -> dict:
        content, cut = _fit(answer.content, body["max_tokens"])
        return {
            "id": _new_id("msg_"),
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": "max_tokens" if cut else answer.stop_reason,
            "stop_sequence": None,
            "usage": {**self._cache_usage(body),
                      "output_tokens": body["max_tokens"] if cut else _output_tokens(content)},
        }

    def _cache_usage(self, body: dict) -> dict:
        """Split the input tokens into cache reads, cache writes and the rest, like the prompt cache.

        Each block carrying cache_control ends a breakpoint prefix. The longest prefix written by an
        earlier request (looked up at block boundaries up to CACHE_LOOKBACK_BLOCKS before each
        breakpoint) is read; what lies between it and the last breakpoint is written.
        """
        units = _prompt_units(body)
        hasher = hashlib.sha256(body["model"].encode())  # each model has its own cache
        prefix_tokens, prefix_keys, total = [], [], 0
        for unit in units:
            hasher.update(unit.key.encode() + b"\x00")
            total += unit.tokens
            prefix_tokens.append(total)
            prefix_keys.append(hasher.hexdigest())
        breakpoints = [i for i, unit in enumerate(units) if unit.marks and prefix_tokens[i] >= self.min_cache_tokens]
        read = written = 0
        if breakpoints:
            with self._lock:
                for end in breakpoints:
                    for i in range(end, max(end - CACHE_LOOKBACK_BLOCKS, -1), -1):
                        if prefix_keys[i] in self._cache:
                            read = max(read, prefix_tokens[i])
                            break
                written = max(0, prefix_tokens[breakpoints[-1]] - read)
                self._cache.update(prefix_keys[i] for i in breakpoints)
        return {"input_tokens": total - read - written, "cache_creation_input_tokens": written,
                "cache_read_input_tokens": read}


@contextlib.contextmanager
def fake_messages_api(**options: Any) -> Iterator[FakeMessagesAPI]:
    """A started FakeMessagesAPI for the duration of a `with` block (for fixtures)."""
    with FakeMessagesAPI(**options) as fake:
        yield fake
