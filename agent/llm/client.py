"""The LLM client: OpenAI-protocol chat calls with a per-request budget and our own retries.

Any OpenAI-compatible server works (the local llama.cpp server, OpenAI, vLLM,
Ollama). Structured output asks for a JSON-schema `response_format`
(constrained decoding) and falls back to `json_object` plus validation when a
server rejects it; an invalid reply gets one repair round. Retries (timeouts,
connection errors, 429, 5xx; never other 4xx) honour Retry-After, use jitter
and count against the request's `Budget`, which bounds calls and wall time.
Whatever goes wrong, callers see only `LLMError` and its subclasses: a reply
that is not a chat completion (broken JSON, an HTML page) is `LLMProtocolError`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal, TypeVar, cast

import httpx
import openai
from pydantic import BaseModel, ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_any,
)
from tenacity.stop import stop_base
from tenacity.wait import wait_random_exponential

from agent.llm.spans import describe_call, llm_span
from agent.settings import Settings
from prompts.loader import render

T = TypeVar("T", bound=BaseModel)
Outcome = Literal["ok", "error", "timeout", "invalid", "budget"]
Sleep = Callable[[float], Awaitable[None]]


class LLMError(Exception):
    """An LLM call failed; the message says why and what to do."""


class BudgetExhausted(LLMError):
    """The request's LLM budget (calls or wall time) is spent; no call was made."""


class LLMTimeout(LLMError):
    """The server gave no answer in time."""


class LLMConnectionError(LLMError):
    """The server could not be reached."""


class LLMInvalidOutput(LLMError):
    """The reply did not validate against the expected schema, even after a repair round."""


class LLMProtocolError(LLMError):
    """The server answered, but not with an OpenAI chat completion (junk, HTML, bad JSON)."""


class LLMStatusError(LLMError):
    """The server answered with an HTTP error status."""

    def __init__(self, message: str, *, status: int, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.status == 429 or self.status >= 500

    @property
    def rejects_response_format(self) -> bool:
        text = str(self).lower()
        return self.status == 400 and ("response_format" in text or "json_schema" in text)


def parse_retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds to wait from `retry-after-ms` or `retry-after` (seconds or an HTTP date)."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class CallRecord(BaseModel):
    """One attempted LLM call, as counted by the budget and shown in the trace."""

    name: str
    latency_ms: float
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    max_tokens: int = 0
    outcome: Outcome
    detail: str = ""


@dataclass
class Budget:
    """LLM allowance for one request: at most `max_calls` attempts before `deadline`.

    Every attempt, retries and repairs included, counts. `deadline` is a
    `time.monotonic()` instant.
    """

    max_calls: int
    deadline: float
    records: list[CallRecord] = field(default_factory=list)

    @classmethod
    def start(cls, *, max_calls: int, seconds: float) -> Budget:
        return cls(max_calls=max_calls, deadline=time.monotonic() + seconds)

    @classmethod
    def from_settings(cls, settings: Settings) -> Budget:
        return cls.start(max_calls=settings.llm_max_calls, seconds=settings.llm_budget_s)

    @property
    def calls(self) -> int:
        """Attempts that reached (or tried to reach) the server."""
        return sum(1 for r in self.records if r.outcome != "budget")

    @property
    def tokens(self) -> int:
        return sum(r.prompt_tokens + r.completion_tokens for r in self.records)

    def remaining_s(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def exhausted(self) -> bool:
        return self.calls >= self.max_calls or self.remaining_s() <= 0

    def describe(self) -> str:
        return (
            f"LLM budget spent: {self.calls}/{self.max_calls} calls, "
            f"{self.remaining_s():.1f}s left (TESSERA_LLM_MAX_CALLS, TESSERA_LLM_BUDGET_S)"
        )

    def record(self, record: CallRecord) -> None:
        self.records.append(record)

    def mark_invalid(self, detail: str) -> None:
        """Mark the latest call as having returned an unusable reply."""
        if self.records:
            self.records[-1] = self.records[-1].model_copy(
                update={"outcome": "invalid", "detail": detail[:300]}
            )


def local_base_url(settings: Settings) -> str:
    """The base URL of the local llama.cpp server on its configured port."""
    return f"http://127.0.0.1:{settings.llm_port}/v1"


def strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema in OpenAI's strict form: all properties required, no extras."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: walk(v) for k, v in node.items() if k != "default"}
            if out.get("type") == "object" and "properties" in out:
                out["required"] = list(out["properties"])
                out["additionalProperties"] = False
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return cast(dict[str, Any], walk(model.model_json_schema()))


class LLMClient:
    """Chat calls against one OpenAI-compatible endpoint, built once at the edge."""

    def __init__(
        self,
        settings: Settings,
        *,
        base_url: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        sleep: Sleep = asyncio.sleep,
        max_attempts: int = 4,
    ) -> None:
        self.base_url = base_url or settings.llm_base_url or local_base_url(settings)
        self.model = settings.llm_model
        self._timeout = settings.llm_timeout_s
        self._max_tokens = settings.llm_max_tokens
        self._sleep = sleep
        self._max_attempts = max(1, max_attempts)
        self._max_calls = settings.llm_max_calls
        self._budget_s = settings.llm_budget_s
        self._json_schema: bool | None = None
        self._trace_content = settings.trace_content
        self._client = openai.AsyncOpenAI(
            base_url=self.base_url,
            api_key=settings.llm_api_key,
            timeout=settings.llm_timeout_s,
            max_retries=0,
            http_client=cast(Any, http_client),
        )

    def new_budget(self) -> Budget:
        """A fresh per-request budget from the configured call and time limits."""
        return Budget.start(max_calls=self._max_calls, seconds=self._budget_s)

    async def aclose(self) -> None:
        """Close the underlying HTTP client."""
        await self._client.close()

    async def ping(self, timeout_s: float = 2.0) -> bool:
        """True when the server answers `GET /models` within `timeout_s`."""
        try:
            await self._client.with_options(timeout=timeout_s, max_retries=0).models.list()
        except Exception:  # noqa: BLE001 - any failure to answer means "not reachable"
            return False
        return True

    async def text(
        self, *, system: str, user: str, budget: Budget, name: str, max_tokens: int | None = None
    ) -> str:
        """A free-text reply (titles, suggestions, rewrites)."""
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        return await self._complete(messages, None, budget, name, max_tokens)

    async def structured(
        self,
        *,
        system: str,
        user: str,
        schema: type[T],
        budget: Budget,
        name: str,
        max_tokens: int | None = None,
    ) -> T:
        """A reply validated as `schema`; `LLMInvalidOutput` when one repair round fails."""
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        content: str | None = None
        if self._json_schema is not False:
            try:
                content = await self._complete(
                    messages, _schema_format(schema, name), budget, name, max_tokens
                )
                self._json_schema = True
            except LLMStatusError as exc:
                if not exc.rejects_response_format:
                    raise
                self._json_schema = False
        if content is None:
            schema_text = json.dumps(schema.model_json_schema(), separators=(",", ":"))
            messages[0]["content"] += "\n\n" + render("json_mode", schema=schema_text)
            content = await self._complete(
                messages, {"type": "json_object"}, budget, name, max_tokens
            )
        try:
            return schema.model_validate_json(content)
        except ValidationError as exc:
            errors = _short_errors(exc)
            budget.mark_invalid(errors)
        messages += [
            {"role": "assistant", "content": content[:4000]},
            {"role": "user", "content": render("repair", errors=errors)},
        ]
        response_format = (
            _schema_format(schema, name) if self._json_schema else {"type": "json_object"}
        )
        content = await self._complete(
            messages, response_format, budget, f"{name}:repair", max_tokens
        )
        try:
            return schema.model_validate_json(content)
        except ValidationError as exc:
            errors = _short_errors(exc)
            budget.mark_invalid(errors)
            raise LLMInvalidOutput(
                f"the model's reply for {name!r} is not a valid {schema.__name__} "
                f"even after one repair round: {errors}"
            ) from exc

    async def _complete(
        self,
        messages: list[dict[str, str]],
        response_format: dict[str, Any] | None,
        budget: Budget,
        name: str,
        max_tokens: int | None = None,
    ) -> str:
        retrying = AsyncRetrying(
            retry=retry_if_exception(_retryable),
            stop=stop_any(stop_after_attempt(self._max_attempts), _OutOfBudget(budget)),
            wait=_retry_wait,
            sleep=self._sleep,
            reraise=True,
        )
        args = (messages, response_format, budget, name, max_tokens)
        return cast(str, await retrying(self._attempt, *args))

    async def _attempt(
        self,
        messages: list[dict[str, str]],
        response_format: dict[str, Any] | None,
        budget: Budget,
        name: str,
        max_tokens: int | None,
    ) -> str:
        cap = max_tokens or self._max_tokens
        with llm_span(self.model, self.base_url, name, cap) as current:
            calls = len(budget.records)
            content: str | None = None
            try:
                content = await self._call(messages, response_format, budget, name, cap)
                return content
            finally:
                if current.is_recording():
                    record = budget.records[-1] if len(budget.records) > calls else None
                    describe_call(current, record, messages, content, self._trace_content)

    async def _call(
        self,
        messages: list[dict[str, str]],
        response_format: dict[str, Any] | None,
        budget: Budget,
        name: str,
        cap: int,
    ) -> str:
        if budget.exhausted():
            budget.record(CallRecord(name=name, latency_ms=0.0, outcome="budget"))
            raise BudgetExhausted(f"{name}: {budget.describe()}")
        timeout = max(0.05, min(self._timeout, budget.remaining_s()))
        extra: dict[str, Any] = {"response_format": response_format} if response_format else {}
        started = time.monotonic()

        def done(outcome: Outcome, detail: str, usage: Any = None) -> None:
            budget.record(
                CallRecord(
                    name=name,
                    latency_ms=round((time.monotonic() - started) * 1000, 1),
                    prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                    cached_tokens=_cached(usage),
                    completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
                    max_tokens=cap,
                    outcome=outcome,
                    detail=detail[:300],
                )
            )

        try:
            response = await self._client.chat.completions.create(
                model=self.model,
                messages=cast(Any, messages),
                max_tokens=cap,
                temperature=0.0,
                timeout=timeout,
                **extra,
            )
        except openai.APITimeoutError as exc:
            done("timeout", f"no answer within {timeout:.1f}s")
            message = f"{name}: {self.base_url} gave no answer within {timeout:.1f}s"
            raise LLMTimeout(message) from exc
        except openai.APIConnectionError as exc:
            done("error", "connection failed")
            raise LLMConnectionError(
                f"{name}: cannot reach the LLM server at {self.base_url}; start one with "
                "`tessera llm serve` or set TESSERA_LLM_BASE_URL"
            ) from exc
        except openai.APIStatusError as exc:
            done("error", f"HTTP {exc.status_code}: {exc.message}")
            raise LLMStatusError(
                f"{name}: {self.base_url} answered HTTP {exc.status_code}: {exc.message}",
                status=exc.status_code,
                retry_after=parse_retry_after(exc.response.headers),
            ) from exc
        except (openai.OpenAIError, httpx.HTTPError) as exc:
            done("error", f"{type(exc).__name__}: {exc}")
            raise LLMConnectionError(f"{name}: {self.base_url} failed: {exc}") from exc
        except Exception as exc:  # noqa: BLE001 - a reply the SDK cannot even parse
            done("invalid", f"unreadable reply: {type(exc).__name__}: {exc}")
            raise LLMProtocolError(
                f"{name}: {self.base_url} sent a reply that is not a chat completion "
                f"({type(exc).__name__}: {str(exc)[:120]})"
            ) from exc
        try:
            content, finish, usage = _read_completion(response)
        except (AttributeError, IndexError, KeyError, TypeError) as exc:
            done("invalid", f"not a chat completion: {type(response).__name__}")
            raise LLMProtocolError(
                f"{name}: {self.base_url} answered 200 with something that is not a chat "
                f"completion ({type(response).__name__}: {str(response)[:120]!r})"
            ) from exc
        done("ok" if content else "invalid", finish, usage)
        return content


def _cached(usage: Any) -> int:
    """Prompt tokens the server reused from its cache (`usage.prompt_tokens_details`)."""
    details = getattr(usage, "prompt_tokens_details", None)
    try:
        return int(getattr(details, "cached_tokens", 0) or 0)
    except (TypeError, ValueError):
        return 0


def _read_completion(response: Any) -> tuple[str, str, Any]:
    """Content, finish reason and usage of a completion; raises on any other shape."""
    choices = response.choices
    choice = choices[0] if choices else None
    content = (choice.message.content if choice is not None else None) or ""
    if not isinstance(content, str):
        raise TypeError(f"message content is {type(content).__name__}, not text")
    finish = (choice.finish_reason if choice is not None else None) or "no choice"
    return content, str(finish), getattr(response, "usage", None)


class _OutOfBudget(stop_base):
    """Stop retrying when the budget is spent or the next wait would outlast it."""

    def __init__(self, budget: Budget) -> None:
        self._budget = budget

    def __call__(self, retry_state: RetryCallState) -> bool:
        upcoming = retry_state.upcoming_sleep or 0.0
        return self._budget.exhausted() or upcoming >= self._budget.remaining_s()


def _retry_wait(state: RetryCallState) -> float:
    """Retry-After when the server sent one, else exponential backoff with full jitter."""
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, LLMStatusError) and exc.retry_after is not None:
        return exc.retry_after
    return float(_BACKOFF(state))


_BACKOFF = wait_random_exponential(multiplier=0.25, max=4.0)


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, LLMTimeout | LLMConnectionError):
        return True
    return isinstance(exc, LLMStatusError) and exc.retryable


def _schema_format(schema: type[BaseModel], name: str) -> dict[str, Any]:
    return {
        "type": "json_schema",
        "json_schema": {"name": name, "schema": strict_schema(schema), "strict": True},
    }


def _short_errors(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:6]:
        where = ".".join(str(p) for p in err["loc"]) or "reply"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)
