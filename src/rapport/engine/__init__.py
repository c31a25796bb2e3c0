"""`Engine`: the one object the API, the CLI and library users call.

Operations are grouped by area, each a small facade over its service, under the same names
as the CLI groups and REST prefixes: `engine.items`, `engine.users`, `engine.events`,
`engine.recommendations`, `engine.search`, `engine.kb`, `engine.models`. Every operation
returns the pydantic model that REST returns and CLI `--json` prints. The request and result
models are importable from here.
"""

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
from rapport.engine.root import Engine, Readiness
from rapport.evaluation.peers import Comparison, ModelRun
from rapport.evaluation.protocol import RecommendationMetrics
from rapport.services.catalog import SimilarItem
from rapport.services.ingest import ImportReport
from rapport.services.insights import Insights
from rapport.services.knowledge.answer import Answer, Citation
from rapport.services.knowledge.base import KnowledgeReport
from rapport.services.knowledge.search import DocumentHit, DocumentSearch
from rapport.services.recommend.artifacts import ModelManifest
from rapport.services.recommend.recommender import (
    GroupRecommendations,
    Recommendation,
    Recommendations,
)
from rapport.services.recommend.training import TrainingConfig
from rapport.services.search.items import SearchHit, SearchResult
from rapport.services.search.query import ParsedQuery

__all__ = [
    "Answer",
    "Citation",
    "Comparison",
    "Conflict",
    "Deleted",
    "Document",
    "DocumentHit",
    "DocumentSearch",
    "DocumentSummary",
    "Engine",
    "Event",
    "FieldError",
    "GroupRecommendations",
    "ImportReport",
    "Insights",
    "InvalidInput",
    "Item",
    "ItemFilter",
    "ItemListRequest",
    "KnowledgeReport",
    "Location",
    "ModelManifest",
    "ModelRun",
    "NotFound",
    "Page",
    "ParsedQuery",
    "Profile",
    "Readiness",
    "RecommendRequest",
    "Recommendation",
    "RecommendationMetrics",
    "Recommendations",
    "SearchHit",
    "SearchRequest",
    "SearchResult",
    "SimilarItem",
    "SimilarRequest",
    "Skill",
    "TenantStats",
    "TrainingConfig",
    "Unavailable",
    "User",
]
