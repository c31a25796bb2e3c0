"""What every CLI command shares: global options, the engine, error handling, output."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Collection
from types import UnionType
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

import typer
from pydantic import BaseModel, ValidationError

from rapport.core.errors import InvalidInput, RapportError, clean_message
from rapport.interfaces.cli.output import errors, print_json, report_error

if TYPE_CHECKING:
    from rapport.engine import Engine

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


class State:
    """Global options of one invocation, turned into an `Engine` only by commands that need
    one (so `--help` and argument errors stay fast)."""

    def __init__(self) -> None:
        self.options: dict[str, Any] = {}
        self._engine: Engine | None = None

    def reset(self, options: dict[str, Any]) -> None:
        self.close()
        self.options = options

    def engine(self) -> Engine:
        if self._engine is None:
            from rapport.engine import Engine

            self._engine = run(lambda: Engine(**self.options))
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None


state = State()


def fail(message: str, code: int = 1) -> typer.Exit:
    report_error("error", message)
    return typer.Exit(code)


def run(action: Callable[[], T]) -> T:
    """Run an engine call, turning engine errors into a message and a non-zero exit: 2 for
    bad input, 1 for everything else."""
    try:
        return action()
    except InvalidInput as exc:
        for error in exc.errors[:20]:
            report_error("invalid", str(error))
        if len(exc.errors) > 20:
            errors.print(f"... and {len(exc.errors) - 20} more", markup=False)
        raise fail(f"{len(exc.errors)} invalid record(s); nothing was written", 2) from exc
    except (RapportError, FileNotFoundError, ValueError) as exc:
        raise fail(str(exc)) from exc


def emit(result: BaseModel | list[Any], json_out: bool, show: Callable[[], None]) -> None:
    """`--json` prints the result as REST returns it; otherwise `show` prints for people."""
    if json_out:
        print_json(result)
    else:
        show()


F = TypeVar("F", bound=Callable[..., Any])


def model_options(model: type[BaseModel], *, arguments: Collection[str] = ()) -> Callable[[F], F]:
    """Give a command one option per field of `model` (help from the field's docstring; the
    fields in `arguments` become positional arguments), and call it with the validated model
    as `request`: the CLI declares no request field a second time, and takes the same names
    as REST (`--min-price` for `min_price`)."""

    def decorate(command: F) -> F:
        hints = get_type_hints(command, include_extras=True)
        own = [
            parameter.replace(annotation=hints.get(name, parameter.annotation))
            for name, parameter in inspect.signature(command).parameters.items()
            if name != "request"
        ]
        fields = model.model_fields
        added = [
            inspect.Parameter(
                name,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                annotation=Annotated[str, typer.Argument(help=fields[name].description)],
            )
            for name in arguments
        ] + [
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[
                    _option_type(info.annotation), typer.Option(help=info.description)
                ],
            )
            for name, info in fields.items()
            if name not in arguments
        ]

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {n: kwargs.pop(n) for n in fields}
            given = {n: v for n, v in values.items() if v is not None and v != []}
            request = _validate_options(model, given)
            return command(*args, request=request, **kwargs)

        # Arguments first, in the order given; then the command's own, then the options.
        parameters = added[: len(arguments)] + own + added[len(arguments) :]
        wrapper.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
        return wrapper  # type: ignore[return-value]

    return decorate


def _validate_options(model: type[M], given: dict[str, Any]) -> M:
    """The request from the options; bad values exit 2 naming the option."""
    try:
        return model.model_validate(given)
    except ValidationError as exc:
        for error in exc.errors():
            loc = error["loc"]
            where = "--" + str(loc[0]).replace("_", "-") if loc else "options"
            report_error("invalid", f"{where}: {clean_message(error['msg'])}")
        raise fail("invalid options; nothing was done", 2) from exc


def _option_type(annotation: Any) -> Any:
    """The CLI type of a model field: optional scalars, lists of strings, flags; times as
    text (pydantic parses them)."""
    if get_origin(annotation) in (Union, UnionType):
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    base = get_origin(annotation) or annotation
    if base in (list, tuple):
        return list[str] | None
    if base in (bool, int, float, str):
        return base | None
    return str | None
