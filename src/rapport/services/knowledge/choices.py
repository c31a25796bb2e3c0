"""Where each tenant's retrieval choice is kept: one JSON file per tenant in the data
directory (`<data>/retrieval/<tenant>.json`), written atomically, so it survives restarts.

The choice is a deterministic function of the corpus and the embedder, so a server that lacks
the file (another machine, a wiped directory) makes the same choice again.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import structlog
from pydantic import ValidationError

from rapport.services.search.autotune import RetrievalChoice

log = structlog.get_logger(__name__)


class ChoiceFiles:
    """Load and save `RetrievalChoice`s; without a folder they live in memory only."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self._cache: dict[str, RetrievalChoice | None] = {}
        self._lock = threading.Lock()

    def _path(self, tenant: str) -> Path | None:
        return None if self.folder is None else self.folder / f"{tenant}.json"

    def load(self, tenant: str) -> RetrievalChoice | None:
        with self._lock:
            if tenant in self._cache:
                return self._cache[tenant]
            path = self._path(tenant)
            choice = None
            if path is not None and path.is_file():
                try:
                    choice = RetrievalChoice.model_validate_json(path.read_text())
                except (ValidationError, ValueError):  # an older format: choose again
                    log.warning("ignoring unreadable retrieval choice", path=str(path))
            self._cache[tenant] = choice
            return choice

    def save(self, tenant: str, choice: RetrievalChoice) -> None:
        with self._lock:
            self._cache[tenant] = choice
            path = self._path(tenant)
            if path is None:
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
            with os.fdopen(handle, "w") as out:
                out.write(choice.model_dump_json(indent=2))
            Path(name).replace(path)
