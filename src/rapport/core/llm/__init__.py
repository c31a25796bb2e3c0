"""The LLM gateway: chat, streaming, structured output and tool calling over a fallback chain
of OpenAI-compatible providers, with retries, a response cache and metrics."""

from rapport.core.llm.cache import TTLCache
from rapport.core.llm.gateway import (
    ChatResult,
    GatewayConfig,
    LLMGateway,
    LLMOutputInvalid,
    LLMUnavailable,
    Message,
    ProviderConfig,
    Usage,
)
from rapport.core.llm.metrics import CallRecord, LLMMetrics, ProviderStats
from rapport.core.llm.structured import ToolCall, tool_schema

__all__ = [
    "CallRecord",
    "ChatResult",
    "GatewayConfig",
    "LLMGateway",
    "LLMMetrics",
    "LLMOutputInvalid",
    "LLMUnavailable",
    "Message",
    "ProviderConfig",
    "ProviderStats",
    "TTLCache",
    "ToolCall",
    "Usage",
    "tool_schema",
]
