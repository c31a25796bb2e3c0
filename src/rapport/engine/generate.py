"""`engine.generate`: résumés (JSON, PDF), social posts, learning paths, tags and drafts,
each logged in the generation log."""

from __future__ import annotations

from typing import Any

from rapport.core.store.generations import GenerationRecord
from rapport.engine.services import Services, options
from rapport.services.assistant.generate.pdf import resume_pdf
from rapport.services.assistant.generate.schemas import (
    Draft,
    DraftRequest,
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


class GenerateArea:
    def __init__(self, services: Services) -> None:
        self._s = services

    def resume(
        self,
        user_id: str,
        request: ResumeRequest | None = None,
        *,
        tenant: str | None = None,
        **request_options: Any,
    ) -> Resume:
        """A résumé from the user's profile and completed (or bought) items."""
        request = options(ResumeRequest, request, request_options)
        return self._s.generator.resume(self._s.tenant(tenant), user_id, request)

    def resume_pdf(self, resume: Resume) -> bytes:
        """A résumé rendered as PDF (any Unicode text; see docs/generation.md)."""
        return resume_pdf(resume)

    def post(
        self,
        user_id: str,
        request: PostRequest | None = None,
        *,
        tenant: str | None = None,
        **request_options: Any,
    ) -> SocialPost:
        """A post about an achievement within the platform's limit (`platform`,
        `achievement`)."""
        request = options(PostRequest, request, request_options)
        return self._s.generator.post(self._s.tenant(tenant), user_id, request)

    def learning_path(
        self,
        user_id: str,
        request: PathRequest | None = None,
        *,
        tenant: str | None = None,
        **request_options: Any,
    ) -> LearningPath:
        """Catalogue items for a passion, beginner to expert, with estimated weeks."""
        request = options(PathRequest, request, request_options)
        return self._s.generator.learning_path(self._s.tenant(tenant), user_id, request)

    def tags(
        self,
        request: TagRequest | None = None,
        *,
        tenant: str | None = None,
        **request_options: Any,
    ) -> Tags:
        """3-5 labels from the tenant's vocabulary and the text's key phrases (`text`)."""
        request = options(TagRequest, request, request_options)
        return self._s.generator.tags(self._s.tenant(tenant), request)

    def tag_posts(self, *, tenant: str | None = None, limit: int = 1000) -> TaggedPosts:
        """Tag imported items of kind `post` that have no tags (the background step)."""
        return self._s.generator.tag_posts(self._s.tenant(tenant), limit)

    def draft(
        self,
        request: DraftRequest | None = None,
        *,
        tenant: str | None = None,
        **request_options: Any,
    ) -> Draft:
        """An offer or event drafted from category, place, price and discount; not stored
        until its `item` is added."""
        request = options(DraftRequest, request, request_options)
        return self._s.generator.draft(self._s.tenant(tenant), request)

    def recent(
        self,
        *,
        kind: str | None = None,
        user_id: str | None = None,
        limit: int = 50,
        tenant: str | None = None,
    ) -> list[GenerationRecord]:
        """The generation log, newest first."""
        return self._s.generator.recent(
            self._s.tenant(tenant), kind=kind, user_id=user_id, limit=limit
        )
