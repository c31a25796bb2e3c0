"""`ContentGenerator`: every kind of generated content for one engine, each result validated
by its schema and logged in `generations`. Users who opted out of AI features get templates."""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

import numpy as np

from rapport.core.llm import LLMGateway
from rapport.core.llm.consent import LlmAllowed, opted_in
from rapport.core.models import Item
from rapport.core.requests import ItemFilter
from rapport.core.store.audit import AuditLog
from rapport.core.store.generations import GenerationRecord, GenerationStore
from rapport.core.store.repository import Store
from rapport.core.vectors.embedder import Embedder, normalise
from rapport.core.vectors.index import VectorIndex
from rapport.services.assistant.generate.drafts import build_draft
from rapport.services.assistant.generate.learning_path import (
    DEFAULT_HOURS_PER_WEEK,
    UNSUITABLE_KINDS,
    build_steps,
    describe,
    order_steps,
)
from rapport.services.assistant.generate.posts import write_post
from rapport.services.assistant.generate.resume import build_resume, completed
from rapport.services.assistant.generate.schemas import (
    PLATFORM_LIMITS,
    Draft,
    DraftRequest,
    Generated,
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
from rapport.services.assistant.generate.tags import LABEL_FLOOR, Tagger
from rapport.services.catalog import ITEM_SPACE, Catalog

G = TypeVar("G", bound=Generated)

PATH_CANDIDATES = 60
"""Nearest items looked at for a learning path."""
PATH_MIN_SIMILARITY = 0.25
"""Items less similar than this to the passion never enter a path ..."""
PATH_RELATIVE = 0.6
"""... nor do those below this share of the best match's similarity."""
LABEL_BONUS = 0.15
"""Added to an item's similarity when one of its tags or categories is written in the
passion ("learn jazz guitar" and an item tagged guitar)."""
TAG_PAGE = 500


class ContentGenerator:
    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        index: VectorIndex,
        catalog: Catalog,
        gateway: LLMGateway,
        audit: AuditLog | None = None,
        llm_allowed: LlmAllowed = opted_in,
    ) -> None:
        self.store = store
        self.llm_allowed = llm_allowed
        self.audit = audit
        self.embedder = embedder
        self.index = index
        self.catalog = catalog
        self.gateway = gateway
        self.log = GenerationStore(store)
        self.tagger = Tagger(embedder, gateway)

    # -- per user ----------------------------------------------------------------------------

    def resume(self, tenant: str, user_id: str, request: ResumeRequest) -> Resume:
        user = self.store.get_user(tenant, user_id)
        events = self.store.list_events(tenant, user_id=user_id)
        items = self.store.get_items(tenant, list(completed(events)))
        resume = build_resume(
            self.gateway,
            user,
            events,
            items,
            language=request.language,
            allow_llm=self.llm_allowed(tenant, user),
        )
        return self._logged(tenant, "resume", request.model_dump(mode="json"), resume, user_id)

    def post(self, tenant: str, user_id: str, request: PostRequest) -> SocialPost:
        user = self.store.get_user(tenant, user_id)
        vocabulary = self.log.label_vocabulary(tenant)
        phrases, _, doc = self.tagger.key_phrases(request.achievement, k=3)
        labels = self.tagger.rank_labels(request.achievement, vocabulary, doc, np.zeros((0, 1)))
        topic = [label for label, score in labels[:3] if score >= LABEL_FLOOR] + phrases
        body, hashtags, model = write_post(
            self.gateway,
            user,
            request.platform,
            request.achievement,
            topic,
            allow_llm=self.llm_allowed(tenant, user),
        )
        text = f"{body}\n\n{' '.join(hashtags)}"
        post = SocialPost(
            user_id=user_id,
            platform=request.platform,
            text=text,
            body=body,
            hashtags=hashtags,
            characters=len(text),
            limit=PLATFORM_LIMITS[request.platform],
            mode="llm" if model else "template",
            model=model,
        )
        return self._logged(tenant, "post", request.model_dump(mode="json"), post, user_id)

    def learning_path(self, tenant: str, user_id: str, request: PathRequest) -> LearningPath:
        user = self.store.get_user(tenant, user_id)
        hours_per_week = user.profile.hours_per_week or DEFAULT_HOURS_PER_WEEK
        done = set(completed(self.store.list_events(tenant, user_id=user_id)))
        matches = self._matching_items(tenant, request.passion, exclude=done)
        ordered = order_steps(matches, request.max_steps)
        steps = build_steps(ordered, hours_per_week)
        by_id = {item.id: item for item, _ in matches}
        summary, reasons, model = describe(
            self.gateway,
            user,
            request.passion,
            steps,
            by_id,
            hours_per_week,
            allow_llm=self.llm_allowed(tenant, user),
        )
        for step, reason in zip(steps, reasons, strict=True):
            step.why = reason
        total = round(sum(s.hours for s in steps), 1)
        path = LearningPath(
            user_id=user_id,
            passion=request.passion,
            hours_per_week=hours_per_week,
            steps=steps,
            total_hours=total,
            estimated_weeks=round(total / hours_per_week, 1),
            summary=summary,
            mode="llm" if model else "template",
            model=model,
        )
        return self._logged(tenant, "learning_path", request.model_dump(mode="json"), path, user_id)

    def _matching_items(
        self, tenant: str, passion: str, exclude: set[str]
    ) -> list[tuple[Item, float]]:
        """Active, current catalogue items close to the passion, best first."""
        query = normalise(self.embedder.embed([passion]))[0]
        allowed = self.store.item_ids(tenant, ItemFilter())  # active and not expired
        hits = self.index.search(
            tenant, ITEM_SPACE, np.asarray(query), PATH_CANDIDATES, allowed=allowed, exclude=exclude
        )
        items = {item.id: item for item in self.store.get_items(tenant, [i for i, _ in hits])}
        wanted = passion.lower()
        scored = sorted(
            (
                (items[i], s + LABEL_BONUS * _labelled(items[i], wanted))
                for i, s in hits
                if i in items and items[i].kind.lower() not in UNSUITABLE_KINDS
            ),
            key=lambda pair: -pair[1],
        )
        if not scored:
            return []
        floor = max(PATH_MIN_SIMILARITY, scored[0][1] * PATH_RELATIVE)
        return [(item, score) for item, score in scored if score >= floor]

    # -- texts -------------------------------------------------------------------------------

    def tags(self, tenant: str, request: TagRequest) -> Tags:
        vocabulary = self.log.label_vocabulary(tenant)
        chosen, phrases, model = self.tagger.tag(request.text, vocabulary)
        result = Tags(
            tags=chosen, key_phrases=phrases, mode="llm" if model else "template", model=model
        )
        return self._logged(tenant, "tags", {"text": request.text[:2000]}, result, None)

    def tag_posts(self, tenant: str, limit: int = 1000) -> TaggedPosts:
        """Tag items of kind `post` that have no tags (at most `limit` per pass). Each is
        marked `attributes.auto_tags` so a post nothing could be found for is not re-read."""
        vocabulary = self.log.label_vocabulary(tenant)
        pending: list[Item] = []
        offset = 0
        while len(pending) < limit:
            page = self.store.list_items(
                tenant,
                ItemFilter(kind="post", include_inactive=True),
                limit=TAG_PAGE,
                offset=offset,
            )
            pending += [
                item for item in page.items if not item.tags and "auto_tags" not in item.attributes
            ]
            offset += TAG_PAGE
            if offset >= page.total:
                break
        pending = pending[:limit]
        updated: list[Item] = []
        for item in pending:
            text = f"{item.title}. {item.text}".strip(". ")
            if not text:
                chosen: list[str] = []
            else:
                chosen, _, _ = self.tagger.tag(text, vocabulary)
            attributes = {**item.attributes, "auto_tags": chosen}
            updated.append(item.model_copy(update={"tags": chosen, "attributes": attributes}))
        if updated:
            self.store.upsert_items(tenant, updated)
            self.catalog.index_items(tenant, updated)  # tags are part of the embedded text
        tagged = [item.id for item in updated if item.tags]
        return TaggedPosts(checked=len(pending), tagged=len(tagged), item_ids=tagged)

    def draft(self, tenant: str, request: DraftRequest) -> Draft:
        draft = build_draft(self.gateway, request)
        return self._logged(tenant, "draft", request.model_dump(mode="json"), draft, None)

    # -- the log -----------------------------------------------------------------------------

    def recent(
        self, tenant: str, *, kind: str | None = None, user_id: str | None = None, limit: int = 50
    ) -> list[GenerationRecord]:
        return self.log.recent(tenant, kind=kind, user_id=user_id, limit=limit)

    def _logged(
        self, tenant: str, kind: str, request: dict[str, Any], result: G, user_id: str | None
    ) -> G:
        output = result.model_dump(mode="json", exclude={"generation_id"})
        row = self.log.add(
            tenant, kind, request, output, mode=result.mode, model=result.model, user_id=user_id
        )
        result.generation_id = row.id
        if self.audit is not None:
            self.audit.record(
                tenant,
                "generation",
                user_id=user_id,
                model=result.model or result.mode,
                prompt=json.dumps(request, sort_keys=True, default=str),
                output=json.dumps(output, ensure_ascii=False),
            )
        return result


def _labelled(item: Item, wanted: str) -> bool:
    return any(
        re.search(rf"(?<!\w){re.escape(label.lower())}(?!\w)", wanted)
        for label in [*item.tags, *item.categories]
    )
