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
from rapport.core.store.experiments import (
    Experiment,
    ExperimentConfig,
    ExperimentSpec,
    GuardConfig,
    Variant,
    VariantSettings,
)
from rapport.core.store.experiments import Status as ExperimentStatus
from rapport.core.store.generations import GenerationRecord
from rapport.core.store.keys import KeyRecord
from rapport.core.store.model_decisions import ModelDecision
from rapport.core.store.moderation import ModerationEntry
from rapport.core.store.outbox import OutboxEntry, OutboxMessage, OutboxStatus
from rapport.core.store.personal_data import UserExport
from rapport.core.store.user_contexts import UserContext
from rapport.engine.root import Readiness
from rapport.engine.telemetry import Telemetry, TenantTelemetry
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
from rapport.services.engage.churn import (
    AbandonmentRisk,
    ChurnManifest,
    RiskDriver,
    SplitMetrics,
)
from rapport.services.engage.context import ContextResult, ContextUpdate
from rapport.services.engage.dispatch import DispatchReport
from rapport.services.engage.nudges import Held, Nudge, NudgePlan
from rapport.services.engage.outbox.service import Click, DeliveryReport
from rapport.services.engage.scores import Driver, Score, UserScores
from rapport.services.experiments.assignment import Assignment
from rapport.services.experiments.impressions import ImpressionList, LoggedList
from rapport.services.experiments.metrics import OnlineMetrics, RateStats
from rapport.services.experiments.report import (
    ExperimentReport,
    GuardVerdict,
    VariantReport,
)
from rapport.services.ingest import ImportReport
from rapport.services.insights import Insights
from rapport.services.insights.audience import Audience, AudienceMember
from rapport.services.insights.demand import Demand, DemandRow
from rapport.services.insights.forecast import (
    DemandForecast,
    ForecastDay,
    ForecastSeries,
)
from rapport.services.insights.peaks import HourDemand, Peaks, PeakSlot
from rapport.services.insights.prices import PriceSuggestion, PriceSuggestions
from rapport.services.insights.requests import (
    AudienceRequest,
    DemandRequest,
    ForecastRequest,
    PeaksRequest,
    PricesRequest,
)
from rapport.services.knowledge.answer import Answer, Citation
from rapport.services.knowledge.base import KnowledgeReport
from rapport.services.knowledge.search import DocumentHit, DocumentSearch, KnowledgeStats
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
from rapport.services.recommend.artifacts import GateResult, ModelManifest
from rapport.services.recommend.next_action import NextAction, NextCategory, NextItem
from rapport.services.recommend.recommender import (
    GroupRecommendations,
    Recommendation,
    Recommendations,
)
from rapport.services.recommend.training import TrainingConfig
from rapport.services.recommend.versions import ModelVersion
from rapport.services.safety.crisis.guard import CrisisReply, SafetyCheck
from rapport.services.safety.crisis.models import ScreenedText, Screening
from rapport.services.safety.injection import InjectionVerdict
from rapport.services.safety.moderation import ModerationResult
from rapport.services.search.autotune import CandidateScore, RetrievalChoice
from rapport.services.search.items import SearchHit, SearchResult
from rapport.services.search.query import ParsedQuery
from rapport.services.search.retriever import TunedSettings

__all__ = [
    "AbandonmentRisk",
    "Action",
    "Answer",
    "Assignment",
    "Audience",
    "AudienceMember",
    "AudienceRequest",
    "AuditEntry",
    "Availability",
    "AvailabilityRequest",
    "BookRequest",
    "BusyTime",
    "BusyWindow",
    "CalendarImport",
    "CalendarImportRequest",
    "CandidateScore",
    "ChatReply",
    "ChatRequest",
    "ChurnManifest",
    "Citation",
    "Click",
    "Comparison",
    "Conflict",
    "ContextResult",
    "ContextUpdate",
    "Conversation",
    "ConversationMessage",
    "CreatedKey",
    "CrisisReply",
    "Deleted",
    "DeliveryReport",
    "Demand",
    "DemandForecast",
    "DemandRequest",
    "DemandRow",
    "DispatchReport",
    "Document",
    "DocumentHit",
    "DocumentSearch",
    "DocumentSummary",
    "Draft",
    "DraftRequest",
    "Driver",
    "Escalation",
    "EscalationStatus",
    "Event",
    "Experiment",
    "ExperimentConfig",
    "ExperimentReport",
    "ExperimentSpec",
    "ExperimentStatus",
    "FieldError",
    "ForecastDay",
    "ForecastRequest",
    "ForecastSeries",
    "GateResult",
    "GenerationRecord",
    "GroupRecommendations",
    "GuardConfig",
    "GuardVerdict",
    "Held",
    "HourDemand",
    "ImportReport",
    "ImpressionList",
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
    "LoggedList",
    "MessageScreening",
    "ModelDecision",
    "ModelManifest",
    "ModelRun",
    "ModelVersion",
    "ModerationEntry",
    "ModerationResult",
    "NextAction",
    "NextCategory",
    "NextItem",
    "NextStep",
    "NotFound",
    "Nudge",
    "NudgePlan",
    "OnboardingState",
    "OneOffWindow",
    "OnlineMetrics",
    "OutboxEntry",
    "OutboxMessage",
    "OutboxStatus",
    "Page",
    "ParsedQuery",
    "PathRequest",
    "PathStep",
    "PeakSlot",
    "Peaks",
    "PeaksRequest",
    "Persona",
    "Plan",
    "PlanEvent",
    "PlanRequest",
    "PostRequest",
    "Preferences",
    "PriceSuggestion",
    "PriceSuggestions",
    "PricesRequest",
    "Principal",
    "Process",
    "ProcessOperation",
    "ProcessOperations",
    "ProcessRequest",
    "ProcessStep",
    "ProcessSubstep",
    "Profile",
    "Proposal",
    "ProposeRequest",
    "RateStats",
    "Readiness",
    "RecommendRequest",
    "Recommendation",
    "RecommendationMetrics",
    "Recommendations",
    "Reminder",
    "ReplyStream",
    "Resume",
    "ResumeEntry",
    "ResumeRequest",
    "RetrievalChoice",
    "RiskDriver",
    "SafetyCheck",
    "SchedulePreferences",
    "Scope",
    "Score",
    "ScreenedText",
    "Screening",
    "SearchHit",
    "SearchRequest",
    "SearchResult",
    "Session",
    "SimilarItem",
    "SimilarRequest",
    "Skill",
    "Slot",
    "SocialPost",
    "SplitMetrics",
    "TagRequest",
    "TaggedPosts",
    "Tags",
    "Telemetry",
    "TenantStats",
    "TenantTelemetry",
    "TrainingConfig",
    "TunedSettings",
    "Unavailable",
    "Understood",
    "User",
    "UserContext",
    "UserExport",
    "UserScores",
    "Variant",
    "VariantReport",
    "VariantSettings",
    "WeeklyWindow",
]
