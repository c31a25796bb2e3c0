"""Assistant commands: `rapport chat`, `rapport assistant ...`, `rapport persona ...`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from rapport.engine.schemas import ChatReply, Persona
from rapport.interfaces.cli.common import JsonFlag, emit, fail, run, state
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


def _option(help_text: str) -> Any:
    return typer.Option(help=help_text)


@persona_app.command("set")
def persona_set(
    name: Annotated[str | None, _option("The name the assistant uses for itself.")] = None,
    expertise: Annotated[str | None, _option("What the persona is an expert in.")] = None,
    methodology: Annotated[str | None, _option("How the persona works with people.")] = None,
    tone: Annotated[
        str | None, _option("warm, friendly, professional, direct, playful or calm.")
    ] = None,
    language: Annotated[str | None, _option("Language code to reply in (en, fr...).")] = None,
    sample_text: Annotated[
        list[str] | None, _option("A text in the persona's voice (repeat for several).")
    ] = None,
    greeting: Annotated[str | None, _option("Opening line; {name} is the user.")] = None,
    sign_off: Annotated[str | None, _option("Closing line of template replies.")] = None,
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
        given = {
            "name": name,
            "expertise": expertise,
            "methodology": methodology,
            "tone": tone,
            "language": language,
            "sample_texts": sample_text,
            "greeting": greeting,
            "sign_off": sign_off,
        }
        current = run(engine.persona.get)
        merged = {
            **current.model_dump(),
            **{key: value for key, value in given.items() if value is not None},
        }
        persona = run(lambda: engine.persona.set(merged))
    if json_out:
        print_json(persona)
    else:
        _show_persona(persona)


def register(app: typer.Typer) -> None:
    app.command()(chat)
    app.add_typer(assistant_app, name="assistant")
    app.add_typer(persona_app, name="persona")
