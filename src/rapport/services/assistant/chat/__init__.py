"""The assistant: conversations with memory, a tenant persona, intents and tools."""
