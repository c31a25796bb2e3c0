"""The conversational layer: onboarding interviews, the assistant with memory, persona and
tools, process operations, and generated content."""
