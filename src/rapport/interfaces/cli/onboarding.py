"""`rapport onboard`: the onboarding interview in the terminal, or from a file of answers."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rapport.engine.schemas import OnboardingState
from rapport.interfaces.cli.common import JsonFlag, emit, fail, run, state
from rapport.interfaces.cli.output import console


def onboard(
    user_id: Annotated[str, typer.Argument(help="The user (created when unknown).")],
    answers_file: Annotated[
        Path | None,
        typer.Option(
            help="Answers, one per line, in the order asked: passions, skill levels, time "
            "per week, way of learning."
        ),
    ] = None,
    resume: Annotated[
        str | None, typer.Option(help="Continue this interview (its session id).")
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Interview a user (passions, levels, time, way of learning), save their profile and
    show their first matches with next steps."""
    engine = state.engine()
    answers: list[str] | None = None
    if answers_file is not None:
        if not answers_file.is_file():
            raise fail(f"no such file: {answers_file}", 2)
        answers = [line.strip() for line in answers_file.read_text().splitlines() if line.strip()]
    if resume:
        current = run(lambda: engine.onboarding.get(resume))
    else:
        if answers is not None and len(answers) < 4:
            raise fail(f"{answers_file} holds {len(answers)} answers; the interview asks 4", 2)
        current = run(lambda: engine.onboarding.start(user_id))
    while not current.done:
        if answers is not None:
            if not answers:
                raise fail(f"the answers ran out at question {current.step}", 2)
            text = answers.pop(0)
        else:
            console.print(f"[bold]{current.step}/{current.total_steps}[/bold] {current.question}")
            text = typer.prompt(">")
        current = run(partial(engine.onboarding.answer, current.session_id, text))
    emit(current, json_out, lambda: _show(current))


def _show(result: OnboardingState) -> None:
    profile = result.profile
    if profile is not None:
        console.print(f"passions: {', '.join(profile.passions) or '-'}")
        console.print(
            "skills: " + (", ".join(f"{s.name} ({s.level})" for s in profile.skills) or "-")
        )
        console.print(f"goals: {'; '.join(profile.goals) or '-'}")
        console.print(f"hours per week: {profile.hours_per_week}")
        console.print(f"learning style: {profile.learning_style or '-'}")
    table = Table("item", "title", "reasons")
    for r in result.recommendations:
        table.add_row(r.item_id, r.item.title, "; ".join(r.reasons))
    console.print(table)
    for step in result.next_steps:
        console.print(f"next: {step.category} ({step.reason})")


def register(app: typer.Typer) -> None:
    app.command()(onboard)
