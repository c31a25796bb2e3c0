"""`/metrics`: Prometheus text format for operators."""

from __future__ import annotations

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from rapport.core.telemetry import CONTENT_TYPE, exposition
from rapport.interfaces.api.deps import EngineDep, PrincipalDep
from rapport.interfaces.api.metrics import telemetry_metrics

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format"}},
)
async def metrics(engine: EngineDep, principal: PrincipalDep) -> Response:
    """Request, recommendation and LLM latencies, serving model versions and queue depths
    (see docs/operations.md). A read key like every GET route when keys are in use; a key
    bound to a tenant sees the process-wide latencies and only its own tenant's model and
    queues (the configured admin key sees every tenant)."""
    snapshot = await run_in_threadpool(engine.telemetry.snapshot, principal.tenant)
    body = await run_in_threadpool(exposition, telemetry_metrics(snapshot))
    return Response(body, media_type=CONTENT_TYPE)
