"""Generated content: résumés (JSON or PDF), posts, learning paths, tags, drafts, the log."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query
from fastapi.responses import Response

from rapport.engine.schemas import (
    Draft,
    DraftRequest,
    GenerationRecord,
    LearningPath,
    PathRequest,
    PostRequest,
    Resume,
    ResumeRequest,
    SocialPost,
    TaggedPosts,
    TagRequest,
    Tags,
)
from rapport.interfaces.api.deps import EngineDep, TenantDep

router = APIRouter(tags=["generate"])

PDF = "application/pdf"


@router.post(
    "/users/{user_id}/resume",
    response_model=Resume,
    responses={200: {"content": {PDF: {}}, "description": "The résumé as JSON, or as a PDF."}},
)
def resume(
    engine: EngineDep,
    tenant: TenantDep,
    user_id: str,
    body: ResumeRequest | None = None,
    format: Annotated[
        Literal["json", "pdf"] | None, Query(description="`pdf` for the PDF.")
    ] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Resume | Response:
    """A résumé from the profile and completed or bought items; `?format=pdf` or
    `Accept: application/pdf` returns it as a PDF."""
    made = engine.generate.resume(user_id, body, tenant=tenant)
    wants_pdf = format == "pdf" or (format is None and PDF in (accept or ""))
    if wants_pdf:
        return Response(
            engine.generate.resume_pdf(made),
            media_type=PDF,
            headers={"Content-Disposition": f'inline; filename="resume-{made.generation_id}.pdf"'},
        )
    return made


@router.post("/users/{user_id}/post")
def post(engine: EngineDep, tenant: TenantDep, user_id: str, body: PostRequest) -> SocialPost:
    """A social post about an achievement, within the platform's character limit."""
    return engine.generate.post(user_id, body, tenant=tenant)


@router.post("/users/{user_id}/learning-path")
def learning_path(
    engine: EngineDep, tenant: TenantDep, user_id: str, body: PathRequest
) -> LearningPath:
    """Catalogue items for a passion, beginner to expert, with estimated weeks."""
    return engine.generate.learning_path(user_id, body, tenant=tenant)


@router.post("/tags")
def tags(engine: EngineDep, tenant: TenantDep, body: TagRequest) -> Tags:
    """3-5 labels from the tenant's vocabulary and the text's key phrases."""
    return engine.generate.tags(body, tenant=tenant)


@router.post("/tags/posts")
def tag_posts(
    engine: EngineDep,
    tenant: TenantDep,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> TaggedPosts:
    """Tag items of kind `post` that have none (what the background job does)."""
    return engine.generate.tag_posts(tenant=tenant, limit=limit)


@router.post("/items/draft")
def draft(engine: EngineDep, tenant: TenantDep, body: DraftRequest) -> Draft:
    """An offer or event drafted from category, place, price and discount. Nothing is
    stored: POST its `item` to /items to publish it."""
    return engine.generate.draft(body, tenant=tenant)


@router.get("/generations")
def generations(
    engine: EngineDep,
    tenant: TenantDep,
    kind: str | None = None,
    user_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[GenerationRecord]:
    """The generation log, newest first; `kind` is resume, post, learning_path, tags,
    draft or process_ops."""
    return engine.generate.recent(kind=kind, user_id=user_id, limit=limit, tenant=tenant)
