"""Structured output and tool calling: schemas out, JSON and tool calls back in."""

from __future__ import annotations

import inspect
import json
import re
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

JsonMode = Literal["json_schema", "json_object", "prompt"]

_FENCE = re.compile(r"```(?:json)?\s*(.*?)\s*```", re.DOTALL)
_MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class ToolCall:
    """A function call the model asked for, with its arguments already decoded."""

    id: str
    name: str
    arguments: dict[str, Any]

    def parse(self, model: type[M]) -> M:
        """Validate the arguments against the pydantic model the tool was built from."""
        return model.model_validate(self.arguments)


def tool_schema(
    model: type[BaseModel], *, name: str | None = None, description: str | None = None
) -> dict[str, Any]:
    """An OpenAI `tools` entry whose parameters are the model's JSON schema. The name defaults
    to the class name and the description to its docstring."""
    doc = description if description is not None else inspect.cleandoc(model.__doc__ or "")
    function: dict[str, Any] = {
        "name": name or model.__name__,
        "parameters": model.model_json_schema(),
    }
    if doc:
        function["description"] = doc
    return {"type": "function", "function": function}


def parse_tool_calls(raw_calls: list[Any] | None) -> list[ToolCall]:
    """Decode the SDK's tool calls; raises ValueError when arguments are not a JSON object."""
    calls: list[ToolCall] = []
    for raw in raw_calls or []:
        function = getattr(raw, "function", None)
        if function is None:  # custom (non-function) tools carry no JSON arguments
            continue
        try:
            arguments = json.loads(function.arguments or "{}")
        except json.JSONDecodeError as exc:
            raise ValueError(f"tool call '{function.name}' has invalid JSON arguments") from exc
        if not isinstance(arguments, dict):
            raise ValueError(f"tool call '{function.name}' arguments are not a JSON object")
        calls.append(ToolCall(id=raw.id, name=function.name, arguments=arguments))
    return calls


def schema_instruction(schema: type[BaseModel]) -> dict[str, str]:
    """System message with the schema: servers without `json_schema` support still see it."""
    text = json.dumps(schema.model_json_schema(), ensure_ascii=False)
    return {
        "role": "system",
        "content": "Reply with a single JSON object and nothing else. "
        f"It must validate against this JSON schema:\n{text}",
    }


def response_format(schema: type[BaseModel], mode: JsonMode) -> dict[str, Any] | None:
    if mode == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {
                "name": re.sub(r"[^a-zA-Z0-9_-]", "_", schema.__name__)[:64],
                "schema": schema.model_json_schema(),
            },
        }
    if mode == "json_object":
        return {"type": "json_object"}
    return None


def extract_json(text: str) -> str:
    """The JSON object inside a reply; small models like to wrap it in fences or prose."""
    fenced = _FENCE.search(text)
    if fenced:
        text = fenced.group(1)
    start, end = text.find("{"), text.rfind("}")
    if start == -1 or end < start:
        return text.strip()
    return text[start : end + 1]


def validate_reply(text: str, schema: type[M]) -> M:
    """Parse and validate; raises ValueError (pydantic's ValidationError is one) with details."""
    return schema.model_validate_json(extract_json(text))


def repair_messages(bad_reply: str, error: Exception) -> list[dict[str, str]]:
    """The invalid reply and what was wrong with it, so the model can correct itself."""
    detail = str(error)[:_MAX_ERROR_CHARS]
    return [
        {"role": "assistant", "content": bad_reply},
        {
            "role": "user",
            "content": f"That reply was invalid:\n{detail}\n"
            "Reply again with only the corrected JSON object, matching the schema.",
        },
    ]
