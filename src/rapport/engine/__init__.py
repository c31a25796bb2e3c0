"""`Engine`: the one object the API, the CLI and library users call.

Operations are grouped by area, each a small facade over its service, under the same names
as the CLI groups and REST prefixes: `engine.items`, `engine.users`, `engine.events`,
`engine.recommendations`, `engine.search`, `engine.kb`, `engine.models`. Every operation
returns the pydantic model that REST returns and CLI `--json` prints; those models are in
`rapport.engine.schemas`.
"""

from rapport.engine.root import Engine

__all__ = ["Engine"]
