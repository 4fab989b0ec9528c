"""Every model call of a Claude dream goes through one gate: budget, concurrency, cancel,
usage and the mapping of API failures to the dream's error types.

Calls run on their own daemon threads, at most `concurrency` on the wire at once; the dream's
own thread waits on them in short slices, so it keeps the heartbeat alive and notices a cancel
at once (the in-flight call is abandoned: its connection is closed and its answer, if one
comes, is dropped). The budget is checked
before each call against what was used plus the most that calls in flight may use (their
prompts and all of their max_tokens), so a dream overshoots its budget by at most one call.
"""

import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, wait

import anthropic

from dreams.engines.base import BudgetExceeded, Canceled, Context, EngineFailure
from dreams.engines.claude.render import estimate_tokens

WAIT_SLICE = 0.25  # seconds between cancel and heartbeat checks while a call is in flight


def describe_failure(exc: Exception) -> EngineFailure:
    """The dream's error for what the SDK raised once its own retries were spent."""
    if isinstance(exc, EngineFailure):
        return exc
    # The API's own sentence ("Overloaded", "prompt is too long: …"), not the SDK's "Error code: 529 - {…}"
    # repr of the whole body; no trailing period, as every message below goes on after it.
    message = (getattr(exc, "api_message", None) or getattr(exc, "message", None) or str(exc)).strip().rstrip(".")
    request_id = getattr(exc, "request_id", None)
    suffix = f" (request id {request_id})" if request_id else ""
    if isinstance(exc, (anthropic.AuthenticationError, anthropic.PermissionDeniedError)):
        return EngineFailure(f"The model API refused the key: {message}{suffix}. Check ANTHROPIC_API_KEY or the "
                             "workspace's model key.", error_type="model_authentication_error")
    if isinstance(exc, anthropic.NotFoundError):
        return EngineFailure(f"The model API does not know this model: {message}{suffix}.",
                             error_type="model_not_found")
    if isinstance(exc, (anthropic.RateLimitError, anthropic.InternalServerError)):
        return EngineFailure(f"The model API stayed overloaded or failing after retries: {message}{suffix}. "
                             "Start the dream again later.", error_type="model_overloaded")
    if isinstance(exc, anthropic.APIConnectionError):
        return EngineFailure(f"The model API could not be reached: {type(exc).__name__}: {message}. Check "
                             "ANTHROPIC_BASE_URL and the network.", error_type="model_unreachable")
    if isinstance(exc, anthropic.APIStatusError):
        return EngineFailure(f"The model API refused a request ({exc.status_code}): {message}{suffix}.",
                             error_type="model_request_invalid")
    if isinstance(exc, anthropic.APIResponseValidationError):
        return EngineFailure(f"The model API answered in a shape the SDK cannot read: {message}.",
                             error_type="model_request_invalid")
    raise exc


class ModelGate:
    def __init__(self, *, client: anthropic.Anthropic, context: Context, concurrency: int, tick):
        self.client = client
        self.context = context
        self.tick = tick  # heartbeat and cancel check of the dream's thread; raises Canceled
        self.slots = threading.Semaphore(max(1, concurrency))  # calls on the wire at once
        self.lock = threading.Lock()
        self.reserved = 0  # the most that calls in flight may use: prompts (estimated high) and max_tokens
        self.requests = 0
        self.closed = False
        self._flying: set[Future] = set()

    def submit(self, params: dict) -> Future:
        """Start one call; BudgetExceeded when what is used plus what is in flight reaches the budget.
        While calls in flight hold the rest of the budget, it waits for them: they may use less."""
        if self.context.is_canceled():
            raise Canceled()
        estimate = estimate_tokens(repr(params.get("system"))) + estimate_tokens(repr(params.get("messages"))) \
            + estimate_tokens(repr(params.get("tools"))) + int(params.get("max_tokens") or 0)
        while True:
            with self.lock:
                budget = self.context.budget_tokens
                if budget is None or self.context.tokens_used + self.reserved < budget:
                    self.reserved += estimate
                    self.requests += 1
                    break
                flying = {future for future in self._flying if not future.done()}
            if not flying:
                raise BudgetExceeded(f"The dream used {self.context.tokens_used} tokens of its budget of {budget}; "
                                     "it stopped before the next model call and kept what it proposed.")
            self.first_done(flying)
        future: Future = Future()
        with self.lock:
            self._flying.add(future)
        future.add_done_callback(self._landed)
        # Daemon threads, not a ThreadPoolExecutor: an abandoned call stuck in a socket read must not
        # keep the worker process from exiting (the executor's threads are joined at exit).
        threading.Thread(target=self._run, args=(future, params, estimate), daemon=True,
                         name="dream-model-call").start()
        return future

    def _run(self, future: Future, params: dict, estimate: int) -> None:
        with self.slots:
            if self.closed:
                with self.lock:
                    self.reserved -= estimate
                future.set_exception(Canceled())
                return
            try:
                future.set_result(self._call(params, estimate))
            except BaseException as exc:  # handed to the dream's thread, which maps it to an error type
                future.set_exception(exc)

    def _landed(self, future: Future) -> None:
        with self.lock:
            self._flying.discard(future)

    def _call(self, params: dict, estimate: int):
        started = time.monotonic()
        try:
            message = self.client.beta.messages.create(**params)
        finally:
            with self.lock:
                self.reserved -= estimate
        with self.lock:
            if not self.closed:
                self.context.add_usage(message.usage)
        return message, time.monotonic() - started

    def call(self, params: dict):
        """One call, waited for by the dream's thread: (message, seconds)."""
        return self.result(self.submit(params))

    def result(self, future: Future):
        while True:
            done, _ = wait([future], timeout=WAIT_SLICE)
            if done:
                break
            self.tick()
        try:
            return future.result()
        except Exception as exc:
            raise describe_failure(exc) from exc

    def first_done(self, futures: set[Future]) -> set[Future]:
        """Wait until at least one of `futures` is done, ticking meanwhile."""
        while True:
            done, _ = wait(futures, timeout=WAIT_SLICE, return_when=FIRST_COMPLETED)
            if done:
                return done
            self.tick()

    def close(self) -> None:
        """Abandon whatever is in flight: closing the client drops its connections."""
        with self.lock:
            self.closed = True
        self.client.close()
