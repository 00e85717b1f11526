"""vLLM's guided (structured) decoding for a connection that says it is a vLLM server.

vLLM serves the OpenAI Chat Completions API, so a `pydanticai` connection with an
`openai-chat:` model and the server's URL as host already works. What vLLM adds is decoding
bound to a JSON schema: the answer cannot be anything but an instance of the schema, which spares
small self-hosted models (Qwen and the like) most re-asks. A connection opts in through its extra:

    {"model": "openai-chat:Qwen/Qwen2.5-7B-Instruct", "server": "vllm"}

and, for a vLLM older than 0.10.2, `"vllm_guided_field": "guided_json"` (the older request
field; newer servers read `structured_outputs: {"json": schema}`).

Agents on such a connection ask for their output as JSON text (pydantic-ai's prompted output)
rather than through an output tool, and each request carries the output's JSON schema in the
body's vLLM field. A request that also offers function tools (the SQL expert's look-ups) is sent
unguided: decoding bound to the answer's schema would rule out the tool calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models import Model, ModelRequestParameters
from pydantic_ai.models.wrapper import WrapperModel
from pydantic_ai.settings import ModelSettings, merge_model_settings

#: The connection extra that marks a vLLM server, and the fields vLLM reads a schema from.
SERVER_KEY = "server"
GUIDED_FIELD_KEY = "vllm_guided_field"
GUIDED_FIELDS = ("structured_outputs", "guided_json")


class VllmConfigError(ValueError):
    """A connection's vLLM settings are not understood."""


def guided_field(extra: Mapping[str, Any], conn_id: str) -> str | None:
    """The request field for guided decoding when the connection is a vLLM server, else None."""
    if str(extra.get(SERVER_KEY, "")).strip().lower() != "vllm":
        return None
    field = str(extra.get(GUIDED_FIELD_KEY) or GUIDED_FIELDS[0])
    if field not in GUIDED_FIELDS:
        raise VllmConfigError(
            f"connection '{conn_id}': extra {GUIDED_FIELD_KEY}={field!r} is not one of "
            f"{', '.join(GUIDED_FIELDS)}"
        )
    return field


def guided_body(field: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """The extra request body that binds vLLM's decoding to `schema`."""
    return (
        {"structured_outputs": {"json": dict(schema)}}
        if field == "structured_outputs"
        else {field: dict(schema)}
    )


class VllmGuidedModel(WrapperModel):
    """An OpenAI-compatible model on a vLLM server whose structured answers are guided by their schema."""

    def __init__(self, wrapped: Model, *, field: str) -> None:
        super().__init__(wrapped)
        self.guided_field = field

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        params = model_request_parameters
        # Only an answer asked for as text can be guided: an output tool is a tool call.
        if (
            params.output_mode in ("prompted", "native")
            and params.output_object
            and not params.function_tools
        ):
            body = guided_body(self.guided_field, params.output_object.json_schema)
            model_settings = merge_model_settings(model_settings, ModelSettings(extra_body=body))
        return await self.wrapped.request(messages, model_settings, model_request_parameters)
