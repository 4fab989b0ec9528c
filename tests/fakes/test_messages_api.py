"""The fake Messages API, driven through the real anthropic SDK."""

import json
import math
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import anthropic
import pytest
from anthropic import beta_tool

from tests.fakes.messages_api import (
    THREADS_BETA,
    FakeMessagesAPI,
    count_tokens,
    delay,
    error,
    fake_messages_api,
    reply,
    text,
    tool_use,
)

MODEL = "claude-sonnet-4-6"
HI = [{"role": "user", "content": "Hi"}]
RECALL = {"name": "recall", "description": "Look up a memory.",
          "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}}}


@pytest.fixture
def fake():
    with fake_messages_api() as fake:
        yield fake


def sdk(fake, **options):
    return anthropic.Anthropic(api_key="sk-test", base_url=fake.url, **options)


def create(client, **fields):
    return client.messages.create(**{"model": MODEL, "max_tokens": 256, "messages": HI, **fields})


def test_text_reply_and_usage(fake):
    fake.script(reply(text("Hello there, how can I help?")))

    message = create(sdk(fake))

    assert message.content[0].text == "Hello there, how can I help?"
    assert (message.role, message.model, message.stop_reason) == ("assistant", MODEL, "end_turn")
    assert message.id.startswith("msg_") and message._request_id.startswith("req_")
    [request] = fake.requests
    assert request.path == "/v1/messages" and request.reply_status == 200
    assert request.headers["authorization"] == "Bearer sk-test"  # how SDK 2.10 sends api_key
    assert message.usage.input_tokens == request.tokens == count_tokens(request.body) > 0
    assert message.usage.output_tokens == math.ceil(len("Hello there, how can I help?") / 4)
    assert message.usage.cache_creation_input_tokens == message.usage.cache_read_input_tokens == 0
    assert request.usage == message.usage.model_dump(exclude_none=True)


def test_tool_use_reply_and_its_result(fake):
    call = tool_use("recall", {"query": "deadlines"})
    fake.script(reply(text("Let me check."), call), "The deadline is Friday.")
    client = sdk(fake)

    first = create(client, tools=[RECALL])
    second = create(client, tools=[RECALL], messages=[
        *HI, {"role": "assistant", "content": first.content},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call["id"], "content": "Friday"}]}])

    assert first.stop_reason == "tool_use"
    block = first.content[1]
    assert (block.type, block.id, block.name, block.input) == ("tool_use", call["id"], "recall", call["input"])
    assert block.id.startswith("toolu_")
    assert second.content[0].text == "The deadline is Friday."
    assert fake.calls_with_tool("recall") == [call]


def test_overloaded_then_success_is_retried_fast(fake):
    fake.script(error(529, "overloaded_error", "Overloaded"), reply(text("ok")))

    started = time.monotonic()
    message = create(sdk(fake, max_retries=2))

    assert time.monotonic() - started < 0.5
    assert message.content[0].text == "ok"
    assert [r.reply_status for r in fake.requests] == [529, 200]
    assert [r.headers["x-stainless-retry-count"] for r in fake.requests] == ["0", "1"]


def test_overloaded_forever_raises_after_every_retry(fake):
    fake.always(error(529, "overloaded_error", "Overloaded"))

    with pytest.raises(anthropic.OverloadedError) as raised:
        create(sdk(fake, max_retries=2))

    assert isinstance(raised.value, anthropic.InternalServerError)
    assert raised.value.status_code == 529
    assert raised.value.body["error"] == {"type": "overloaded_error", "message": "Overloaded"}
    assert len(fake.requests) == 3


def test_wrong_key_is_an_authentication_error():
    with FakeMessagesAPI(api_key="sk-right") as fake:
        fake.always("unreachable")
        with pytest.raises(anthropic.AuthenticationError) as raised:
            create(sdk(fake))
        ok = create(anthropic.Anthropic(api_key="sk-right", base_url=fake.url))

    error_ = raised.value
    assert error_.status_code == 401
    assert error_.body == {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"},
                           "request_id": error_.request_id}
    assert error_.request_id.startswith("req_")
    assert ok.content[0].text == "unreachable"


def test_x_api_key_header_is_accepted_too():
    """The SDK sends `Authorization: Bearer`; other clients (curl, older SDKs) send `x-api-key`."""
    body = json.dumps({"model": MODEL, "max_tokens": 16, "messages": HI}).encode()
    with FakeMessagesAPI(api_key="sk-right") as fake:
        fake.always("ok")
        answers = []
        for key in ("sk-right", "sk-wrong"):
            request = urllib.request.Request(f"{fake.url}/v1/messages", data=body, method="POST",
                                             headers={"x-api-key": key, "content-type": "application/json"})
            try:
                with urllib.request.urlopen(request) as response:
                    answers.append((response.status, response.headers["request-id"][:4]))
            except urllib.error.HTTPError as refused:
                answers.append((refused.code, json.load(refused)["error"]["type"]))

    assert answers == [(200, "req_"), (401, "authentication_error")]


def test_unknown_model_is_not_found():
    with FakeMessagesAPI(models={MODEL}) as fake, pytest.raises(anthropic.NotFoundError) as raised:
        create(sdk(fake), model="claude-imaginary-9")

    assert raised.value.body["error"] == {"type": "not_found_error", "message": "model: claude-imaginary-9"}


def test_prompt_too_long():
    with FakeMessagesAPI(context_limit=1000) as fake:
        long = [{"role": "user", "content": "word " * 1000}]
        with pytest.raises(anthropic.BadRequestError) as too_long:
            create(sdk(fake), messages=long)
        fits = [{"role": "user", "content": "word " * 700}]
        with pytest.raises(anthropic.BadRequestError) as with_output:
            create(sdk(fake), messages=fits, max_tokens=500)

    tokens = count_tokens(fake.requests[0].body)
    assert too_long.value.api_message == f"prompt is too long: {tokens} tokens > 1000 maximum"
    assert "prompt is too long" in str(too_long.value)
    fitting = count_tokens(fake.requests[1].body)
    assert with_output.value.api_message.startswith(
        f"input length and max_tokens exceed context limit: {fitting} + 500 > 1000")


TOOL_CALL = {"type": "tool_use", "id": "toolu_1", "name": "recall", "input": {}}


@pytest.mark.parametrize("fields, problem", [
    ({"messages": [*HI, {"role": "assistant", "content": [TOOL_CALL]}, {"role": "user", "content": "and?"}]},
     "`tool_use` ids were found without `tool_result` blocks immediately after: toolu_1"),
    ({"messages": [*HI, {"role": "assistant", "content": "ok"},
                   {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1"}]}]},
     "unexpected `tool_use_id` found in `tool_result` blocks: toolu_1"),
    ({"messages": [{"role": "assistant", "content": "Hello"}]}, 'first message must use the "user" role'),
    ({"messages": [*HI, *HI]}, 'found multiple "user" roles in a row'),
    ({"messages": []}, "at least one message is required"),
    ({"max_tokens": 0}, "max_tokens: Input should be greater than or equal to 1"),
    ({"tools": [{"name": "recall"}]}, "tools.0.custom.input_schema: Field required"),
])
def test_invalid_requests_are_rejected_like_the_api(fake, fields, problem):
    fields.setdefault("tools", [RECALL])
    with pytest.raises(anthropic.BadRequestError) as raised:
        create(sdk(fake, max_retries=0), **fields)

    assert raised.value.type == "invalid_request_error"
    assert problem in raised.value.api_message


def test_tool_names_in_history_must_be_defined(fake):
    memory_tool = {"type": "memory_20250818", "name": "memory"}
    call = {**TOOL_CALL, "name": "memory"}
    history = [*HI, {"role": "assistant", "content": [call]},
               {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call["id"], "content": "ok"}]}]
    fake.script("fine")

    with pytest.raises(anthropic.BadRequestError) as raised:
        create(sdk(fake), tools=[RECALL], messages=history)
    accepted = create(sdk(fake), tools=[RECALL, memory_tool], messages=history)

    assert "tool `memory` is not defined in `tools`" in raised.value.api_message
    assert accepted.content[0].text == "fine"


def test_invalid_request_does_not_use_up_a_scripted_reply(fake):
    fake.script("kept")
    with pytest.raises(anthropic.BadRequestError):
        create(sdk(fake), max_tokens=0)
    assert fake.pending == 1


def cached_system(chars):
    return [{"type": "text", "text": "x" * chars, "cache_control": {"type": "ephemeral"}}]


def usage_numbers(message):
    usage = message.usage
    return usage.input_tokens, usage.cache_creation_input_tokens, usage.cache_read_input_tokens


def test_prompt_cache_is_written_then_read(fake):
    fake.always("ok")
    client = sdk(fake)
    first, second = (create(client, system=cached_system(8000)) for _ in range(2))

    tokens = count_tokens(fake.requests[0].body)
    system_tokens = math.ceil(8000 / 4)
    assert usage_numbers(first) == (tokens - system_tokens, system_tokens, 0)
    assert usage_numbers(second) == (tokens - system_tokens, 0, system_tokens)
    for message in (first, second):
        assert sum(usage_numbers(message)) == tokens


def test_prompt_cache_reads_the_prefix_of_a_moved_breakpoint(fake):
    fake.always("ok")
    client = sdk(fake)
    turn = [{"type": "text", "text": "y" * 400, "cache_control": {"type": "ephemeral"}}]
    create(client, system=cached_system(8000))
    grown = create(client, system=cached_system(8000), messages=[
        *HI, {"role": "assistant", "content": "Hello"}, {"role": "user", "content": turn}])

    tokens = count_tokens(fake.requests[1].body)
    # The breakpoint is on the last block, so everything after the cached system prompt is written.
    assert usage_numbers(grown) == (0, tokens - 2000, 2000)


def test_short_prefixes_are_not_cached():
    with FakeMessagesAPI(min_cache_tokens=1024) as fake:
        fake.always("ok")
        client = sdk(fake)
        messages = [create(client, system=cached_system(400)) for _ in range(2)]

    assert [usage_numbers(m)[1:] for m in messages] == [(0, 0), (0, 0)]


def test_more_than_four_cache_breakpoints_are_rejected(fake):
    system = [{"type": "text", "text": f"part {i}", "cache_control": {"type": "ephemeral"}} for i in range(5)]

    with pytest.raises(anthropic.BadRequestError) as raised:
        create(sdk(fake), system=system)

    assert raised.value.api_message == "A maximum of 4 blocks with cache_control may be provided. Found 5."


def test_running_out_of_script_is_a_500(fake):
    with pytest.raises(anthropic.InternalServerError) as raised:
        create(sdk(fake, max_retries=0))

    assert raised.value.status_code == 500
    assert raised.value.api_message == "fake: no scripted reply left"
    assert len(fake.requests) == 1


def test_handler_answers_once_the_script_is_empty():
    def echo(request):
        return reply(text(f"you said {request.messages[-1]['content']}"))

    with FakeMessagesAPI(handler=echo) as fake:
        fake.script("scripted first")
        answers = [create(sdk(fake)).content[0].text for _ in range(2)]

    assert answers == ["scripted first", "you said Hi"]


def test_a_failing_reply_function_is_a_500(fake):
    def broken(request):
        raise KeyError("oops")

    fake.script(broken)
    with pytest.raises(anthropic.InternalServerError) as raised:
        create(sdk(fake, max_retries=0))

    assert "KeyError('oops')" in raised.value.api_message


def test_a_reply_longer_than_max_tokens_is_cut(fake):
    fake.script(reply(text("z" * 400), tool_use("recall", {})))

    message = create(sdk(fake), max_tokens=10, tools=[RECALL])

    assert message.stop_reason == "max_tokens" and message.usage.output_tokens == 10
    assert [block.type for block in message.content] == ["text"] and len(message.content[0].text) == 40


def test_concurrent_requests_overlap_their_latency():
    with FakeMessagesAPI(latency=0.3) as fake:
        fake.always("ok")
        client = sdk(fake)
        started = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: create(client).content[0].text, range(4)))
        elapsed = time.monotonic() - started

    assert answers == ["ok"] * 4
    assert 0.3 <= elapsed < 0.8


def test_a_delayed_reply_survives_its_client_hanging_up(fake):
    fake.script(delay(0.4, "too late"), "meanwhile")
    client = sdk(fake, max_retries=0)
    hung_up = threading.Thread(target=lambda: pytest.raises(anthropic.APITimeoutError, create, client, timeout=0.1))
    hung_up.start()
    while not fake.requests:
        time.sleep(0.005)

    meanwhile = create(client)  # served while the first one is still delayed
    hung_up.join()
    deadline = time.monotonic() + 2
    while fake.requests[0].reply_status is None and time.monotonic() < deadline:
        time.sleep(0.01)

    assert meanwhile.content[0].text == "meanwhile"
    assert fake.requests[0].reply_status == 200  # written to a closed connection, without crashing
    fake.script("still serving")
    assert create(client).content[0].text == "still serving"


def test_count_tokens_endpoint(fake):
    system = "You keep an agent's memory tidy."
    counted = sdk(fake).messages.count_tokens(model=MODEL, system=system, messages=HI, tools=[RECALL])

    [request] = fake.requests
    assert request.path == "/v1/messages/count_tokens"
    assert counted.input_tokens == count_tokens({"system": system, "messages": HI, "tools": [RECALL]})


@beta_tool
def add(a: int, b: int) -> str:
    """Add two numbers.

    Args:
        a: The first number.
        b: The second number.
    """
    return str(a + b)


def run_adder(fake):
    call = tool_use("add", {"a": 2, "b": 3})
    fake.script(reply(call), reply(text("It is 5.")))
    runner = sdk(fake).beta.messages.tool_runner(
        model=MODEL, max_tokens=256, system="You add.", tools=[add],
        messages=[{"role": "user", "content": "What is 2 + 3?"}])
    return call, runner.until_done()


def test_tool_runner_falls_back_to_full_history_without_threads(fake):
    call, final = run_adder(fake)

    refused, first, second = fake.requests
    assert final.content[0].text == "It is 5."
    assert refused.thread == {"type": "create"} and refused.reply_status == 400
    assert (first.thread, first.reply_status, second.thread) == (None, 200, None)
    assert [m["role"] for m in second.body["messages"]] == ["user", "assistant", "user"]
    assert second.body["system"] == "You add." and second.body["tools"][0]["name"] == "add"
    [result] = second.body["messages"][2]["content"]
    assert (result["tool_use_id"], result["content"]) == (call["id"], add(2, 3))


def test_tool_runner_continues_a_server_side_thread():
    with FakeMessagesAPI(threads=True) as fake:
        call, final = run_adder(fake)

    first, second = fake.requests
    assert final.content[0].text == "It is 5."
    assert THREADS_BETA in first.headers["anthropic-beta"]
    assert first.thread == {"type": "create"} and len(first.body["messages"]) == 1
    assert second.thread == {"type": "continue", "previous_message_id": first.response["id"]}
    # A continue sends only the new tool result; the fake puts the stored history, system and tools back.
    assert "system" not in second.body and "tools" not in second.body
    [sent] = second.body["messages"]
    assert sent["content"][0]["tool_use_id"] == call["id"]
    assert [m["role"] for m in second.messages] == ["user", "assistant", "user"]
    assert second.full_body["system"] == "You add." and second.tokens == count_tokens(second.full_body)


def test_continuing_an_unknown_thread_is_not_found():
    with FakeMessagesAPI(threads=True) as fake, pytest.raises(anthropic.NotFoundError) as raised:
        sdk(fake).beta.messages.create(model=MODEL, max_tokens=64, messages=HI, betas=[THREADS_BETA],
                                       thread={"type": "continue", "previous_message_id": "msg_unknown"})

    assert raised.value.error_code == "thread_not_found"
