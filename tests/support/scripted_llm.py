"""A scripted OpenAI-compatible HTTP server on 127.0.0.1 for tests of the LLM agents.

The real `openai` client (through pydantic-ai and a `pydanticai` Airflow connection) talks HTTP to
it. Each test gives it a script: the replies it sends, in order, whatever is asked. A reply is
protocol-neutral (text, tool calls, a refusal, an HTTP error, a delay) and is written in the shape
of the endpoint that was called: Chat Completions (`POST /v1/chat/completions`, model prefix
`openai-chat:`, what vLLM and Ollama serve), Responses (`POST /v1/responses`, prefix `openai:`) or
Anthropic's Messages API (`POST /v1/messages`, prefix `anthropic:`, spoken to by the real
`anthropic` client).
A script item may also be a function of the request body, for answers that depend on the question.
Every request is recorded, so a test can see what was sent and whether the script was used up.

Stdlib only. Import it as `tests.support.scripted_llm` (pytest's importlib mode resolves the
`tests` package from the rootdir); tests/integration/agents/llm/conftest.py wraps it in fixtures.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: The name pydantic-ai gives the tool that carries structured output.
OUTPUT_TOOL = "final_result"


@dataclass(frozen=True)
class Reply:
    """One scripted answer. Build it with the functions below rather than by hand."""

    status: int = 200
    text: str | None = None
    tool_calls: tuple[tuple[str, str], ...] = ()  # (tool name, raw JSON arguments)
    refusal: str | None = None
    error: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    input_tokens: int = 100
    output_tokens: int = 20
    raw_body: bytes | None = None  # sent as is with status 200 (a malformed body)
    truncate: bool = False  # announce the whole body, send half of it, close the connection


Answer = Reply | Callable[[dict[str, Any]], Reply]


def output(data: Mapping[str, Any] | Any, **usage: int) -> Reply:
    """Structured output: a call of the output tool with `data` as its JSON arguments."""
    return Reply(tool_calls=((OUTPUT_TOOL, json.dumps(data)),), **usage)


def raw_output(arguments: str) -> Reply:
    """The output tool called with arguments exactly as given (e.g. broken JSON)."""
    return Reply(tool_calls=((OUTPUT_TOOL, arguments),))


def tool_call(name: str, args: Mapping[str, Any]) -> Reply:
    return Reply(tool_calls=((name, json.dumps(args)),))


def text(content: str) -> Reply:
    return Reply(text=content)


def refusal(content: str = "I'm sorry, I can't help with that.") -> Reply:
    return Reply(refusal=content)


def http_error(
    status: int, message: str = "scripted error", headers: Mapping[str, str] | None = None
) -> Reply:
    """An HTTP error status; 429s carry a tiny retry-after so client retries stay fast."""
    if headers is None:
        headers = {"retry-after-ms": "10"} if status == 429 else {}
    return Reply(status=status, error=message, headers=headers)


def malformed(body: bytes = b'{"id": "chatcmpl-1", "choices": [') -> Reply:
    """A 200 whose body is not JSON (what some gateways send before an upstream failure)."""
    return Reply(raw_body=body)


def truncated(reply: Reply) -> Reply:
    """The same reply, cut off half-way: the connection closes before the announced length."""
    return replace(reply, truncate=True)


def slow(reply: Reply, seconds: float) -> Reply:
    """The same reply, sent after `seconds` (longer than the client's timeout: a time-out)."""
    return replace(reply, delay_s=seconds)


_EXHAUSTED = http_error(500, "scripted LLM: the script is used up")


@dataclass
class Recorded:
    path: str
    body: dict[str, Any]
    status: int

    @property
    def text(self) -> str:
        """Everything the request said, as one string (for checks like 'the findings were passed on')."""
        return json.dumps(self.body)


def _chat_body(reply: Reply, model: str, n: int) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text, "refusal": reply.refusal}
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": f"call_{n}_{i}", "type": "function", "function": {"name": name, "arguments": args}}
            for i, (name, args) in enumerate(reply.tool_calls)
        ]
    return {
        "id": f"chatcmpl-{n}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if reply.tool_calls else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": reply.input_tokens,
            "completion_tokens": reply.output_tokens,
            "total_tokens": reply.input_tokens + reply.output_tokens,
        },
    }


def _messages_body(reply: Reply, model: str, n: int) -> dict[str, Any]:
    """Anthropic's Messages API shape: content blocks, tool_use with parsed input, stop_reason."""
    content: list[dict[str, Any]] = []
    if reply.text is not None:
        content.append({"type": "text", "text": reply.text})
    if reply.refusal is not None:
        content.append({"type": "text", "text": reply.refusal})
    for i, (name, args) in enumerate(reply.tool_calls):
        content.append({"type": "tool_use", "id": f"toolu_{n}_{i}", "name": name, "input": json.loads(args)})
    stop = "tool_use" if reply.tool_calls else "refusal" if reply.refusal is not None else "end_turn"
    return {
        "id": f"msg_{n}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens},
    }


def _responses_body(reply: Reply, model: str, n: int) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    content: list[dict[str, Any]] = []
    if reply.text is not None:
        content.append({"type": "output_text", "text": reply.text, "annotations": []})
    if reply.refusal is not None:
        content.append({"type": "refusal", "refusal": reply.refusal})
    if content:
        items.append(
            {
                "type": "message",
                "id": f"msg_{n}",
                "role": "assistant",
                "status": "completed",
                "content": content,
            }
        )
    for i, (name, args) in enumerate(reply.tool_calls):
        items.append(
            {
                "type": "function_call",
                "id": f"fc_{n}_{i}",
                "call_id": f"call_{n}_{i}",
                "name": name,
                "arguments": args,
                "status": "completed",
            }
        )
    return {
        "id": f"resp_{n}",
        "object": "response",
        "created_at": int(time.time()),
        "model": model,
        "status": "completed",
        "output": items,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": reply.input_tokens,
            "output_tokens": reply.output_tokens,
            "total_tokens": reply.input_tokens + reply.output_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0},
        },
    }


class ScriptedLLM:
    """The server: `script(...)` sets the replies, `requests` holds what came in."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._script: list[Answer] = []
        self._stop = threading.Event()
        self.requests: list[Recorded] = []
        self.exhausted = 0  # requests that found the script empty (answered 500)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="scripted-llm", daemon=True)

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    def connection(self, model: str = "openai-chat:gpt-test", **extra: Any) -> dict[str, Any]:
        """Fields of a `pydanticai` Airflow connection pointing here (for AIRFLOW_CONN_<ID> JSON).
        The anthropic client adds `/v1` itself; the openai client is given it."""
        return {
            "conn_type": "pydanticai",
            "host": self.root_url if model.startswith("anthropic:") else self.base_url,
            "password": "test-key",
            "extra": {"model": model, **extra},
        }

    def reset(self) -> None:
        """Forget the script and the recorded requests (between the cases of a shared server)."""
        with self._lock:
            self._script.clear()
            self.requests.clear()
            self.exhausted = 0

    def script(self, *answers: Answer) -> None:
        with self._lock:
            self._script.extend(answers)

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._script)

    def start(self) -> ScriptedLLM:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # wakes handlers sleeping in a scripted delay
        self._server.shutdown()
        self._server.server_close()

    def _next(self, body: dict[str, Any]) -> Reply | None:
        with self._lock:
            answer = self._script.pop(0) if self._script else None
        if answer is None:
            return None
        return answer(body) if callable(answer) else answer

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                reply = server._next(body)
                with server._lock:
                    if reply is None:
                        server.exhausted += 1
                        reply = _EXHAUSTED
                    server.requests.append(Recorded(self.path, body, reply.status))
                if reply.delay_s and server._stop.wait(reply.delay_s):
                    return
                if reply.status != 200 and self.path.endswith("/messages"):
                    payload: dict[str, Any] = {
                        "type": "error",
                        "error": {"type": "api_error", "message": reply.error},
                    }
                elif reply.status != 200:
                    payload = {
                        "error": {"message": reply.error, "type": "scripted", "code": None, "param": None}
                    }
                elif self.path.endswith("/chat/completions"):
                    payload = _chat_body(reply, body.get("model", ""), len(server.requests))
                elif self.path.endswith("/responses"):
                    payload = _responses_body(reply, body.get("model", ""), len(server.requests))
                elif self.path.endswith("/messages"):
                    payload = _messages_body(reply, body.get("model", ""), len(server.requests))
                else:
                    payload, reply = (
                        {"error": {"message": f"no such endpoint {self.path}"}},
                        Reply(status=404),
                    )
                data = json.dumps(payload).encode() if reply.raw_body is None else reply.raw_body
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data[: len(data) // 2] if reply.truncate else data)
                    if reply.truncate:
                        self.close_connection = True
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a time-out)
                    pass

        return Handler


@contextmanager
def running() -> Iterator[ScriptedLLM]:
    server = ScriptedLLM().start()
    try:
        yield server
    finally:
        server.stop()


__all__: Sequence[str] = (
    "OUTPUT_TOOL",
    "Recorded",
    "Reply",
    "ScriptedLLM",
    "http_error",
    "malformed",
    "output",
    "raw_output",
    "refusal",
    "running",
    "slow",
    "text",
    "tool_call",
    "truncated",
)
