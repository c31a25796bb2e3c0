"""Onboarding interviews: four adaptive questions, a profile extracted by rules (or by the
LLM, validated, with the rules as fallback), written to the user with first matches."""
