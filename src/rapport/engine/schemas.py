"""The vocabulary of the Engine: every request and result model its operations take and
return, in one place for library users and interfaces (REST returns these, CLI `--json`
prints them)."""

from rapport.core.errors import Conflict, FieldError, InvalidInput, NotFound, Unavailable
from rapport.core.models import (
    Deleted,
    Document,
    Event,
    Item,
    Location,
    Page,
    Profile,
    Skill,
    TenantStats,
    User,
)
from rapport.core.requests import (
    ItemFilter,
    ItemListRequest,
    RecommendRequest,
    SearchRequest,
    SimilarRequest,
)
from rapport.core.store.documents import DocumentSummary
from rapport.core.store.moderation import ModerationEntry
from rapport.engine.root import Readiness
from rapport.evaluation.peers import Comparison, ModelRun
from rapport.evaluation.protocol import RecommendationMetrics
from rapport.services.catalog import SimilarItem
from rapport.services.ingest import ImportReport
from rapport.services.insights import Insights
from rapport.services.knowledge.answer import Answer, Citation
from rapport.services.knowledge.base import KnowledgeReport
from rapport.services.knowledge.search import DocumentHit, DocumentSearch, KnowledgeStats
from rapport.services.recommend.artifacts import ModelManifest
from rapport.services.recommend.recommender import (
    GroupRecommendations,
    Recommendation,
    Recommendations,
)
from rapport.services.recommend.training import TrainingConfig
from rapport.services.safety.injection import InjectionVerdict
from rapport.services.safety.moderation import ModerationResult
from rapport.services.search.autotune import CandidateScore, RetrievalChoice
from rapport.services.search.items import SearchHit, SearchResult
from rapport.services.search.query import ParsedQuery
from rapport.services.search.retriever import TunedSettings

__all__ = [
    "Answer",
    "CandidateScore",
    "Citation",
    "Comparison",
    "Conflict",
    "Deleted",
    "Document",
    "DocumentHit",
    "DocumentSearch",
    "DocumentSummary",
    "Event",
    "FieldError",
    "GroupRecommendations",
    "ImportReport",
    "InjectionVerdict",
    "Insights",
    "InvalidInput",
    "Item",
    "ItemFilter",
    "ItemListRequest",
    "KnowledgeReport",
    "KnowledgeStats",
    "Location",
    "ModelManifest",
    "ModelRun",
    "ModerationEntry",
    "ModerationResult",
    "NotFound",
    "Page",
    "ParsedQuery",
    "Profile",
    "Readiness",
    "RecommendRequest",
    "Recommendation",
    "RecommendationMetrics",
    "Recommendations",
    "RetrievalChoice",
    "SearchHit",
    "SearchRequest",
    "SearchResult",
    "SimilarItem",
    "SimilarRequest",
    "Skill",
    "TenantStats",
    "TrainingConfig",
    "TunedSettings",
    "Unavailable",
    "User",
]
