"""Plan wording by the language model: concrete block titles and a friendlier summary. The
times, goals and lengths stay the planner's; the model only words them, and any failure or
answer of the wrong shape keeps the rule-based wording."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from rapport.core.llm import LLMGateway, LLMOutputInvalid, LLMUnavailable
from rapport.services.plan.schemas import PlanEvent


class PlanWording(BaseModel):
    titles: list[str] = Field(description="One short title per block, in the given order.")
    summary: str = Field(description="One or two sentences about the week, to the user.")


_PROMPT = (
    "You word a weekly work plan. For each block write a short, concrete title (at most 60 "
    "characters) saying what to do in it for its goal, and write a one- or two-sentence "
    "summary of the week addressed to the user. Do not change times or goals."
)


def reworded(
    gateway: LLMGateway, events: list[PlanEvent], summary: str, zone: ZoneInfo
) -> tuple[list[PlanEvent], str] | None:
    """Events with the model's titles and its summary, or None to keep the rules' wording."""
    if not events:
        return None
    blocks = "\n".join(
        f"{n}. {e.start.astimezone(zone):%a %H:%M}-{e.end.astimezone(zone):%H:%M}, goal: "
        f"{e.goal}, effort: {e.effort}"
        for n, e in enumerate(events, start=1)
    )
    messages = [
        {"role": "system", "content": _PROMPT},
        {"role": "user", "content": f"Blocks:\n{blocks}\n\nPlanner's summary: {summary}"},
    ]
    try:
        wording = gateway.structured(messages, PlanWording, max_tokens=800)
    except (LLMUnavailable, LLMOutputInvalid):
        return None
    titles = [t.strip()[:120] for t in wording.titles]
    if len(titles) != len(events) or not all(titles) or not wording.summary.strip():
        return None
    return (
        [e.model_copy(update={"title": t}) for e, t in zip(events, titles, strict=True)],
        wording.summary.strip()[:1000],
    )
