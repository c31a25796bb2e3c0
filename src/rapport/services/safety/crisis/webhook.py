"""Signed webhook delivery of escalations, in the background with retries.

The body is JSON, signed as `core/signing.py` describes (`X-Rapport-Signature: sha256=<hex>`,
the HMAC-SHA256 of the exact body bytes with the tenant's secret).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import structlog

from rapport.core.signing import SIGNATURE_HEADER, sign

log = structlog.get_logger(__name__)

__all__ = ["SIGNATURE_HEADER", "Delivery", "WebhookSender", "sign"]


@dataclass(frozen=True)
class Delivery:
    url: str
    secret: str | None
    body: bytes
    event_id: str


class WebhookSender:
    """One background thread posting queued deliveries, retrying failures (network errors
    and non-2xx answers) with doubling pauses."""

    def __init__(self, retries: int = 4, backoff: float = 1.0, timeout: float = 5.0) -> None:
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.delivered = 0
        self.failed = 0

    def send(self, url: str, secret: str | None, payload: Mapping[str, Any], event_id: str) -> None:
        """Queue a delivery; returns at once."""
        body = orjson.dumps(payload)
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="rapport-webhooks", daemon=True
                )
                self._thread.start()
        self._queue.put(Delivery(url, secret, body, event_id))

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every queued delivery is done (delivered or given up)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Finish what is queued (up to `timeout`), then stop the thread."""
        if self._thread is None:
            return
        self.wait(timeout)
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout) as client:
            while True:
                delivery = self._queue.get()
                try:
                    if delivery is None:
                        return
                    self._deliver(client, delivery)
                finally:
                    self._queue.task_done()

    def _deliver(self, client: httpx.Client, delivery: Delivery) -> None:
        headers = {"Content-Type": "application/json", "X-Rapport-Event": delivery.event_id}
        if delivery.secret:
            headers[SIGNATURE_HEADER] = sign(delivery.body, delivery.secret)
        pause = self.backoff
        for attempt in range(self.retries + 1):
            try:
                response = client.post(delivery.url, content=delivery.body, headers=headers)
                if response.is_success:
                    self.delivered += 1
                    return
                reason = f"status {response.status_code}"
            except httpx.HTTPError as exc:
                reason = type(exc).__name__
            log.warning("webhook attempt failed", url=delivery.url, attempt=attempt, reason=reason)
            if attempt < self.retries:
                time.sleep(pause)
                pause *= 2
        self.failed += 1
        log.error("webhook given up", url=delivery.url, event=delivery.event_id)
