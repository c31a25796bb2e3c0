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
from rapport.core.store.audit import AuditEntry
from rapport.core.store.conversations import Conversation, ConversationMessage
from rapport.core.store.documents import DocumentSummary
from rapport.core.store.escalations import Escalation
from rapport.core.store.escalations import Status as EscalationStatus
from rapport.core.store.generations import GenerationRecord
from rapport.core.store.keys import KeyRecord
from rapport.core.store.moderation import ModerationEntry
from rapport.core.store.personal_data import UserExport
from rapport.engine.root import Readiness
from rapport.evaluation.peers import Comparison, ModelRun
from rapport.evaluation.protocol import RecommendationMetrics
from rapport.services.access.keys import CreatedKey, KeyRequest, Principal, Scope
from rapport.services.assistant.chat.assistant import (
    ChatReply,
    ChatRequest,
    MessageScreening,
    ReplyStream,
)
from rapport.services.assistant.chat.intents import Intent
from rapport.services.assistant.chat.persona import Persona
from rapport.services.assistant.chat.tools import Action
from rapport.services.assistant.generate.schemas import (
    Draft,
    DraftRequest,
    LearningPath,
    PathRequest,
    PathStep,
    PostRequest,
    Resume,
    ResumeEntry,
    ResumeRequest,
    SocialPost,
    TaggedPosts,
    TagRequest,
    Tags,
)
from rapport.services.assistant.onboarding.extract import Understood
from rapport.services.assistant.onboarding.interview import NextStep, OnboardingState
from rapport.services.assistant.process import (
    Process,
    ProcessOperation,
    ProcessOperations,
    ProcessRequest,
    ProcessStep,
    ProcessSubstep,
)
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
from rapport.services.safety.crisis.guard import CrisisReply, SafetyCheck
from rapport.services.safety.crisis.models import ScreenedText, Screening
from rapport.services.safety.injection import InjectionVerdict
from rapport.services.safety.moderation import ModerationResult
from rapport.services.search.autotune import CandidateScore, RetrievalChoice
from rapport.services.search.items import SearchHit, SearchResult
from rapport.services.search.query import ParsedQuery
from rapport.services.search.retriever import TunedSettings

__all__ = [
    "Action",
    "Answer",
    "AuditEntry",
    "CandidateScore",
    "ChatReply",
    "ChatRequest",
    "Citation",
    "Comparison",
    "Conflict",
    "Conversation",
    "ConversationMessage",
    "CreatedKey",
    "CrisisReply",
    "Deleted",
    "Document",
    "DocumentHit",
    "DocumentSearch",
    "DocumentSummary",
    "Draft",
    "DraftRequest",
    "Escalation",
    "EscalationStatus",
    "Event",
    "FieldError",
    "GenerationRecord",
    "GroupRecommendations",
    "ImportReport",
    "InjectionVerdict",
    "Insights",
    "Intent",
    "InvalidInput",
    "Item",
    "ItemFilter",
    "ItemListRequest",
    "KeyRecord",
    "KeyRequest",
    "KnowledgeReport",
    "KnowledgeStats",
    "LearningPath",
    "Location",
    "MessageScreening",
    "ModelManifest",
    "ModelRun",
    "ModerationEntry",
    "ModerationResult",
    "NextStep",
    "NotFound",
    "OnboardingState",
    "Page",
    "ParsedQuery",
    "PathRequest",
    "PathStep",
    "Persona",
    "PostRequest",
    "Principal",
    "Process",
    "ProcessOperation",
    "ProcessOperations",
    "ProcessRequest",
    "ProcessStep",
    "ProcessSubstep",
    "Profile",
    "Readiness",
    "RecommendRequest",
    "Recommendation",
    "RecommendationMetrics",
    "Recommendations",
    "ReplyStream",
    "Resume",
    "ResumeEntry",
    "ResumeRequest",
    "RetrievalChoice",
    "SafetyCheck",
    "Scope",
    "ScreenedText",
    "Screening",
    "SearchHit",
    "SearchRequest",
    "SearchResult",
    "SimilarItem",
    "SimilarRequest",
    "Skill",
    "SocialPost",
    "TagRequest",
    "TaggedPosts",
    "Tags",
    "TenantStats",
    "TrainingConfig",
    "TunedSettings",
    "Unavailable",
    "Understood",
    "User",
    "UserExport",
]

# Scheduling and weekly plans (docs/plan.md).
from rapport.services.plan.schemas import (
    Availability,
    AvailabilityRequest,
    BookRequest,
    BusyTime,
    BusyWindow,
    CalendarImport,
    CalendarImportRequest,
    OneOffWindow,
    Plan,
    PlanEvent,
    PlanRequest,
    Preferences,
    Proposal,
    ProposeRequest,
    Reminder,
    SchedulePreferences,
    Session,
    Slot,
    WeeklyWindow,
)

__all__ += [
    "Availability",
    "AvailabilityRequest",
    "BookRequest",
    "BusyTime",
    "BusyWindow",
    "CalendarImport",
    "CalendarImportRequest",
    "OneOffWindow",
    "Plan",
    "PlanEvent",
    "PlanRequest",
    "Preferences",
    "Proposal",
    "ProposeRequest",
    "Reminder",
    "SchedulePreferences",
    "Session",
    "Slot",
    "WeeklyWindow",
]
