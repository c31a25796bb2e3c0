"""Assistant commands: `rapport chat`, `rapport assistant ...`, `rapport persona ...`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from rapport.engine.schemas import ChatReply, Persona
from rapport.interfaces.cli.common import JsonFlag, emit, fail, model_options, run, state
from rapport.interfaces.cli.output import console, print_json

assistant_app = typer.Typer(help="The assistant: intents and conversations.", no_args_is_help=True)
persona_app = typer.Typer(
    help="Who the assistant speaks as (one persona per tenant).", no_args_is_help=True
)

_EXIT = {"exit", "quit", "bye", ":q"}


def _show_reply(reply: ChatReply) -> None:
    console.print(f"[bold]assistant[/bold] [dim]({reply.mode})[/dim]: {escape(reply.reply)}")
    for citation in reply.citations:
        console.print(f"  [dim][{citation.number}] {escape(citation.title)}[/dim]")
    for action in reply.actions:
        console.print(f"  [dim]used {action.tool}: {action.status}[/dim]")
    if reply.escalation is not None:
        console.print(f"  [red]escalated:[/red] {escape(json.dumps(reply.escalation))}")


def chat(
    user_id: Annotated[str, typer.Argument(help="The user who talks to the assistant.")],
    message: Annotated[
        str | None, typer.Option("--message", "-m", help="Send one message and exit.")
    ] = None,
    conversation: Annotated[
        str | None, typer.Option("--conversation", help="Continue this conversation.")
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Talk to the assistant as USER_ID: one message with --message, otherwise interactively
    (type 'exit' or Ctrl-D to stop)."""
    engine = state.engine()
    if message is not None:
        reply = run(lambda: engine.assistant.chat(user_id, message, conversation_id=conversation))
        emit(reply, json_out, lambda: _show_reply(reply))
        return
    if json_out:
        raise fail("--json needs --message", 2)
    console.print(f"chatting as {user_id} (type 'exit' or Ctrl-D to stop)")
    while True:
        try:
            text = console.input("[bold]you[/bold]: ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if text.lower() in _EXIT:
            break
        if not text:
            continue
        reply = _send(user_id, text, conversation)
        conversation = reply.conversation_id
        _show_reply(reply)
    if conversation:
        console.print(f"conversation: {conversation}")


def _send(user_id: str, text: str, conversation: str | None) -> ChatReply:
    engine = state.engine()
    return run(lambda: engine.assistant.chat(user_id, text, conversation_id=conversation))


@assistant_app.command("intent")
def intent(
    text: Annotated[str, typer.Argument(help="The message to understand.")],
    user: Annotated[
        str | None, typer.Option("--user", help="Its author (time zone, AI opt-out).")
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """What a message asks for: intent, parameters and confidence."""
    found = run(lambda: state.engine().assistant.intent(text, user_id=user))

    def show() -> None:
        console.print(
            f"{found.intent} ({found.confidence:.2f}, {found.method})  "
            + escape(json.dumps(found.parameters, ensure_ascii=False))
        )

    emit(found, json_out, show)


@assistant_app.command("conversation")
def conversation(
    conversation_id: Annotated[str, typer.Argument(help="The conversation id.")],
    json_out: JsonFlag = False,
) -> None:
    """A conversation with its summary and every message."""
    found = run(lambda: state.engine().assistant.conversation(conversation_id))

    def show() -> None:
        if found.summary:
            console.print(f"[dim]summary:[/dim] {escape(found.summary)}")
        for message in found.messages:
            console.print(f"[bold]{message.role}[/bold]: {escape(message.content)}")

    emit(found, json_out, show)


def _show_persona(persona: Persona) -> None:
    table = Table("field", "value")
    for name, value in persona.model_dump().items():
        table.add_row(name, escape(json.dumps(value, ensure_ascii=False)))
    console.print(table)


@persona_app.command("show")
def persona_show(json_out: JsonFlag = False) -> None:
    """The tenant's persona (the default one until set)."""
    persona = run(lambda: state.engine().persona.get())
    emit(persona, json_out, lambda: _show_persona(persona))


@persona_app.command("set")
@model_options(Persona)
def persona_set(
    request: Persona,
    file: Annotated[
        Path | None, typer.Option("--file", help="A JSON file with the whole persona.")
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Set the persona from --file, or change the fields given as options (the others keep
    their current values)."""
    engine = state.engine()
    if file is not None:
        try:
            raw = json.loads(file.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise fail(f"{file}: {exc}", 2) from exc
        persona = run(lambda: engine.persona.set(raw))
    else:
        current = run(engine.persona.get)
        given = {name: getattr(request, name) for name in request.model_fields_set}
        merged = {**current.model_dump(), **given}
        persona = run(lambda: engine.persona.set(merged))
    if json_out:
        print_json(persona)
    else:
        _show_persona(persona)


def register(app: typer.Typer) -> None:
    app.command()(chat)
    app.add_typer(assistant_app, name="assistant")
    app.add_typer(persona_app, name="persona")
