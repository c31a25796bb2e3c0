"""The services an `Engine` composes, each built on first use: a command that only counts
records never loads the recommender, the retriever or the language-model client."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from rapport.core.config import SECTIONS, Settings, check_tenant
from rapport.core.errors import FieldError, InvalidInput
from rapport.core.store.repository import Store
from rapport.core.vectors.embedder import Embedder

if TYPE_CHECKING:
    from rapport.core.llm import LLMGateway
    from rapport.core.store.audit import AuditLog
    from rapport.core.store.conversations import ConversationStore
    from rapport.core.store.escalations import EscalationStore
    from rapport.core.store.model_decisions import ModelDecisionStore
    from rapport.core.store.personal_data import PersonalData
    from rapport.core.vectors.index import VectorIndex
    from rapport.services.access.keys import KeyService
    from rapport.services.assistant.chat.assistant import Assistant
    from rapport.services.assistant.chat.intents import IntentDetector
    from rapport.services.assistant.chat.tools import ToolRegistry
    from rapport.services.assistant.generate.service import ContentGenerator
    from rapport.services.assistant.onboarding.interview import Onboarding
    from rapport.services.assistant.process import ProcessAssistant
    from rapport.services.catalog import Catalog
    from rapport.services.engage.abandonment import Abandonment
    from rapport.services.engage.churn import ChurnConfig
    from rapport.services.engage.config import EngageConfig
    from rapport.services.engage.context import ContextService
    from rapport.services.engage.dispatch import Dispatcher
    from rapport.services.engage.nudges import NudgePlanner
    from rapport.services.engage.outbox import ChannelRegistry, Outbox, OutboxConfig
    from rapport.services.experiments.assignment import Experiments
    from rapport.services.experiments.config import ExperimentsConfig
    from rapport.services.experiments.impressions import ImpressionLog
    from rapport.services.experiments.report import Reporter
    from rapport.services.experiments.serving import ServedRecommendations
    from rapport.services.ingest import Ingestor
    from rapport.services.insights.audience import AudienceFinder
    from rapport.services.insights.config import BusinessInsightsConfig
    from rapport.services.knowledge.answer import AnswerConfig, Answerer
    from rapport.services.knowledge.base import KnowledgeBase
    from rapport.services.knowledge.chunking import ChunkingConfig
    from rapport.services.knowledge.search import KnowledgeSearch
    from rapport.services.plan.config import ScheduleConfig
    from rapport.services.plan.service import Scheduler, WeeklyPlanner
    from rapport.services.recommend.artifacts import ModelStore
    from rapport.services.recommend.frame import FrameCache
    from rapport.services.recommend.next_action import NextActions
    from rapport.services.recommend.recommender import Recommender, RecommenderConfig
    from rapport.services.recommend.training import TrainingConfig
    from rapport.services.safety.crisis.config import SafetyConfig
    from rapport.services.safety.crisis.guard import CrisisGuard
    from rapport.services.safety.crisis.screen import CrisisScreen
    from rapport.services.safety.crisis.webhook import WebhookSender
    from rapport.services.safety.injection import InjectionDetector
    from rapport.services.safety.moderation import ModerationConfig, ModerationQueue
    from rapport.services.search.items import ItemSearch
    from rapport.services.search.retriever import RetrieverConfig

C = TypeVar("C", bound=BaseModel)


def section(settings: Settings, name: str, config: type[C]) -> C:
    """A component config from its settings section, with errors that name the section."""
    try:
        return config.model_validate(getattr(settings, name))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(section)'}: {e['msg']}" for e in exc.errors()
        )
        raise ValueError(f"settings section [{name}]: {problems}") from exc


class Services:
    """Everything one engine holds; the areas of `Engine` are thin facades over it."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.store = Store(settings.sqlalchemy_url, settings.sqlite_busy_timeout)
        self._embedder = embedder
        # Configured sections are checked now, so a typo fails at start and not at first use.
        for name in SECTIONS:
            if getattr(settings, name):
                getattr(self, f"{name}_config")

    # -- component settings ----------------------------------------------------------------

    @cached_property
    def recommender_config(self) -> RecommenderConfig:
        from rapport.services.recommend.recommender import RecommenderConfig

        return section(self.settings, "recommender", RecommenderConfig)

    @cached_property
    def training_config(self) -> TrainingConfig:
        from rapport.services.recommend.training import TrainingConfig

        return section(self.settings, "training", TrainingConfig)

    @cached_property
    def retriever_config(self) -> RetrieverConfig:
        from rapport.services.search.retriever import RetrieverConfig

        return section(self.settings, "retriever", RetrieverConfig)

    @cached_property
    def chunking_config(self) -> ChunkingConfig:
        from rapport.services.knowledge.chunking import ChunkingConfig

        return section(self.settings, "chunking", ChunkingConfig)

    @cached_property
    def answer_config(self) -> AnswerConfig:
        from rapport.services.knowledge.answer import AnswerConfig

        return section(self.settings, "answer", AnswerConfig)

    @cached_property
    def moderation_config(self) -> ModerationConfig:
        from rapport.services.safety.moderation import ModerationConfig

        return section(self.settings, "moderation", ModerationConfig)

    @cached_property
    def insights_config(self) -> BusinessInsightsConfig:
        from rapport.services.insights.config import BusinessInsightsConfig

        return section(self.settings, "insights", BusinessInsightsConfig)

    # -- services --------------------------------------------------------------------------

    @cached_property
    def embedder(self) -> Embedder:
        from rapport.core.vectors.registry import make_embedder

        return self._embedder or make_embedder(self.settings)

    @cached_property
    def index(self) -> VectorIndex:
        from rapport.core.vectors.index import make_index

        return make_index(
            self.store,
            self.embedder.name,
            self.settings.vector_index,
            folder=self.settings.data / "indexes",
            ann_min_vectors=self.settings.ann_min_vectors,
        )

    @cached_property
    def catalog(self) -> Catalog:
        from rapport.services.catalog import Catalog

        return Catalog(self.store, self.embedder, self.index)

    @cached_property
    def ingestor(self) -> Ingestor:
        from rapport.services.ingest import Ingestor

        screen = self.moderation.screen_items if self.moderation_config.enabled else None
        return Ingestor(self.store, self.catalog, screen)

    @cached_property
    def audit(self) -> AuditLog:
        from rapport.core.store.audit import AuditLog

        return AuditLog(self.store)

    @cached_property
    def personal_data(self) -> PersonalData:
        from rapport.core.store.personal_data import PersonalData

        return PersonalData(self.store)

    @cached_property
    def models(self) -> ModelStore:
        from rapport.services.recommend.artifacts import ModelStore

        return ModelStore(self.settings.data)

    @cached_property
    def model_decisions(self) -> ModelDecisionStore:
        from rapport.core.store.model_decisions import ModelDecisionStore

        return ModelDecisionStore(self.store)

    @cached_property
    def frames(self) -> FrameCache:
        from rapport.services.recommend.frame import FrameCache

        return FrameCache(self.store, self.index, self.embedder.name)

    @cached_property
    def recommender(self) -> Recommender:
        from rapport.services.recommend.recommender import Recommender

        exact = self.settings.vector_index == "exact"
        return Recommender(
            self.store,
            self.embedder,
            self.frames,
            self.models,
            self.recommender_config,
            index=self.index,
            exact_below=None if exact else self.settings.ann_min_vectors,
        )

    @cached_property
    def item_search(self) -> ItemSearch:
        from rapport.services.search.items import ItemSearch

        return ItemSearch(self.embedder, self.frames, self.recommender, self.retriever_config)

    @cached_property
    def gateway(self) -> LLMGateway:
        from rapport.core.llm import LLMGateway

        return LLMGateway.from_settings(self.settings)

    @cached_property
    def knowledge(self) -> KnowledgeBase:
        from rapport.services.knowledge.base import KnowledgeBase

        return KnowledgeBase(self.store, self.embedder, self.index, self.chunking_config)

    @cached_property
    def knowledge_search(self) -> KnowledgeSearch:
        from rapport.services.knowledge.choices import ChoiceFiles
        from rapport.services.knowledge.search import KnowledgeSearch

        choices = ChoiceFiles(self.settings.data / "retrieval")
        return KnowledgeSearch(self.knowledge, self.retriever_config, choices)

    @cached_property
    def answerer(self) -> Answerer:
        from rapport.services.knowledge.answer import Answerer

        return Answerer(
            self.knowledge_search,
            self.embedder,
            self.gateway,
            self.answer_config,
            self.injection_detector,
        )

    @cached_property
    def moderation(self) -> ModerationQueue:
        """Text moderation and the review queue (also screens imports when enabled)."""
        from rapport.core.store.moderation import ModerationStore
        from rapport.services.safety.moderation import ModerationQueue, TextModerator

        moderator = TextModerator(self.embedder, self.moderation_config)
        return ModerationQueue(
            self.store, ModerationStore(self.store), moderator, self.moderation_config
        )

    @cached_property
    def injection_detector(self) -> InjectionDetector:
        """Screens untrusted text (documents, chat messages) for prompt injection."""
        from rapport.services.safety.injection import InjectionDetector

        return InjectionDetector(self.embedder)

    @cached_property
    def access(self) -> KeyService:
        from rapport.core.store.keys import KeyStore
        from rapport.services.access.keys import KeyService

        return KeyService(KeyStore(self.store))

    @cached_property
    def onboarding(self) -> Onboarding:
        from rapport.core.store.onboarding import OnboardingStore
        from rapport.services.assistant.onboarding.interview import Onboarding

        return Onboarding(
            self.store,
            OnboardingStore(self.store),
            self.frames,
            self.recommender,
            self.gateway,
            embed=self.embedder.embed,
            llm_allowed=self.experiments.llm_allowed,
        )

    @cached_property
    def conversations(self) -> ConversationStore:
        from rapport.core.store.conversations import ConversationStore

        return ConversationStore(self.store)

    @cached_property
    def intents(self) -> IntentDetector:
        from rapport.services.assistant.chat.intents import IntentDetector

        return IntentDetector(self.embedder, self.gateway)

    @cached_property
    def assistant_tools(self) -> ToolRegistry:
        """The assistant's tools; later features register theirs here."""
        from rapport.services.assistant.chat.tools import Backends, default_tools
        from rapport.services.plan.tools import register_schedule_tools

        registry = default_tools(
            Backends(self.store, self.recommender, self.item_search, self.answerer)
        )
        register_schedule_tools(registry, self.scheduler)
        return registry

    @cached_property
    def assistant(self) -> Assistant:
        """The assistant, with the crisis and injection screens in front of every message."""
        from rapport.services.assistant.chat.assistant import Assistant
        from rapport.services.assistant.chat.screening import message_screen

        return Assistant(
            self.store,
            self.conversations,
            self.intents,
            self.assistant_tools,
            self.gateway,
            screen=message_screen(self.crisis_guard, self.injection_detector, self.moderation),
            audit=self.audit,
            llm_allowed=self.experiments.llm_allowed,
        )

    @cached_property
    def generator(self) -> ContentGenerator:
        from rapport.services.assistant.generate.service import ContentGenerator

        return ContentGenerator(
            self.store,
            self.embedder,
            self.index,
            self.catalog,
            self.gateway,
            audit=self.audit,
            llm_allowed=self.experiments.llm_allowed,
        )

    @cached_property
    def process_assistant(self) -> ProcessAssistant:
        from rapport.services.assistant.process import ProcessAssistant

        return ProcessAssistant(self.embedder, self.gateway)

    @cached_property
    def safety_config(self) -> SafetyConfig:
        from rapport.services.safety.crisis.config import SafetyConfig

        return section(self.settings, "safety", SafetyConfig)

    @cached_property
    def crisis_screen(self) -> CrisisScreen:
        from rapport.services.safety.crisis.screen import CrisisScreen

        return CrisisScreen(self.embedder)

    @cached_property
    def escalations(self) -> EscalationStore:
        from rapport.core.store.escalations import EscalationStore

        return EscalationStore(self.store)

    @cached_property
    def webhooks(self) -> WebhookSender:
        from rapport.services.safety.crisis.webhook import WebhookSender

        config = self.safety_config
        return WebhookSender(config.webhook_retries, config.webhook_backoff, config.webhook_timeout)

    @cached_property
    def crisis_guard(self) -> CrisisGuard:
        from rapport.services.safety.crisis.guard import CrisisGuard

        return CrisisGuard(
            self.crisis_screen,
            self.escalations,
            self.safety_config,
            self.webhooks,
            audit=self.audit,
        )

    @cached_property
    def outbox_config(self) -> OutboxConfig:
        from rapport.services.engage.outbox import OutboxConfig

        return section(self.settings, "outbox", OutboxConfig)

    @cached_property
    def outbox_channels(self) -> ChannelRegistry:
        """Delivery channels by name; a Discord DM channel registers itself here."""
        from rapport.services.engage.outbox.builtin import default_channels

        return default_channels()

    @cached_property
    def outbox(self) -> Outbox:
        """The delivery outbox: enqueue, deliver_due, list, get, cancel, retry, click."""
        from rapport.core.store.outbox import OutboxStore
        from rapport.services.engage.outbox import Outbox

        # Feedback events take the event ingest's write path (idempotent by id).
        return Outbox(
            OutboxStore(self.store), self.outbox_config, self.outbox_channels, self.store.add_events
        )

    @cached_property
    def audience(self) -> AudienceFinder:
        """Audience targeting: the users most likely to engage with an item."""
        from rapport.services.insights.audience import AudienceFinder

        return AudienceFinder(self.store, self.models, self.recommender, self.embedder.name)

    # -- experiments and impressions -------------------------------------------------------

    @cached_property
    def experiments_config(self) -> ExperimentsConfig:
        from rapport.services.experiments.config import ExperimentsConfig

        return section(self.settings, "experiments", ExperimentsConfig)

    @cached_property
    def experiments(self) -> Experiments:
        from rapport.core.store.experiments import ExperimentStore
        from rapport.services.experiments.assignment import Experiments

        return Experiments(ExperimentStore(self.store), self.models)

    @cached_property
    def impression_log(self) -> ImpressionLog:
        from rapport.core.store.impressions import ImpressionStore
        from rapport.services.experiments.impressions import ImpressionLog

        return ImpressionLog(ImpressionStore(self.store), self.experiments_config)

    @cached_property
    def experiment_reports(self) -> Reporter:
        from rapport.services.experiments.report import Reporter

        return Reporter(self.experiments, self.impression_log, self.experiments_config)

    @cached_property
    def served_recommendations(self) -> ServedRecommendations:
        """The recommender behind experiments and impression logging."""
        from rapport.services.experiments.serving import ServedRecommendations

        return ServedRecommendations(
            self.recommender, self.experiments, self.impression_log, self.experiments_config
        )

    @cached_property
    def engage_config(self) -> EngageConfig:
        from rapport.services.engage.config import EngageConfig

        return section(self.settings, "engage", EngageConfig)

    @cached_property
    def engage(self) -> NudgePlanner:
        """Scores and due nudges; the crisis model, the recommender and the language model
        are built only when a run needs them."""
        from rapport.services.engage.context import NearFinder
        from rapport.services.engage.messages import MessageWriter
        from rapport.services.engage.nudges import NudgePlanner

        writer = MessageWriter(
            self.gateway,
            screen=lambda: self.crisis_screen,
            persona=self.conversations.get_persona,
            llm_allowed=self.experiments.llm_allowed,
        )
        return NudgePlanner(
            self.store,
            self.engage_config,
            writer,
            screen=lambda: self.crisis_screen,
            near=lambda *args: NearFinder(self.recommender)(*args),
            signals=self.recommender_config.signals,
        )

    @cached_property
    def dispatcher(self) -> Dispatcher:
        """Due nudges (and other producers' messages) into the outbox, then delivery."""
        from rapport.core.store.outbox import OutboxMessage
        from rapport.services.engage.dispatch import Dispatcher

        def reminders(tenant: str, at: datetime) -> list[OutboxMessage]:
            due = self.scheduler.reminders_due(tenant, at)
            return [OutboxMessage.model_validate(r.outbox_message()) for r in due]

        return Dispatcher(
            self.engage, self.outbox, [reminders], self.audit, lambda: self.gateway.model
        )

    @cached_property
    def engage_context(self) -> ContextService:
        from rapport.services.engage.context import ContextService

        return ContextService(self.store, self.engage)

    @cached_property
    def churn_config(self) -> ChurnConfig:
        from rapport.services.engage.churn import ChurnConfig

        return section(self.settings, "churn", ChurnConfig)

    @cached_property
    def abandonment(self) -> Abandonment:
        """Abandonment risk: per-tenant models trained on the tenant's own history."""
        from rapport.services.engage.abandonment import Abandonment
        from rapport.services.engage.churn import ChurnModels

        return Abandonment(self.store, ChurnModels(self.settings.data), self.churn_config)

    @cached_property
    def next_actions(self) -> NextActions:
        """Next-item and next-category probabilities (sequence model or transitions)."""
        from rapport.services.recommend.next_action import NextActions

        return NextActions(self.store, self.models, self.recommender_config.signals)

    @cached_property
    def scheduler(self) -> Scheduler:
        """Availability, busy times, proposals, bookings, reminders (docs/plan.md)."""
        from rapport.services.plan.service import Scheduler

        return Scheduler(self.store, self.schedule_config)

    @cached_property
    def schedule_config(self) -> ScheduleConfig:
        from rapport.services.plan.config import ScheduleConfig

        return section(self.settings, "schedule", ScheduleConfig)

    @cached_property
    def planner(self) -> WeeklyPlanner:
        """Weekly plans and calendar export (docs/plan.md)."""
        from rapport.services.plan.service import WeeklyPlanner

        return WeeklyPlanner(self.scheduler, self.gateway, self.experiments.llm_allowed)

    # -- lifecycle -------------------------------------------------------------------------

    def build_all(self) -> None:
        """Build every service now (a server does this before taking requests)."""
        for name in ("ingestor", "recommender", "item_search", "answerer", "crisis_guard"):
            getattr(self, name)

    def llm_allowed_for(self, tenant: str, user_id: str | None) -> bool:
        """May the language model write for this user (opt-out, A/B variant); calls that
        name no user may use it."""
        if user_id is None:
            return True
        return self.experiments.llm_allowed(tenant, self.store.get_user(tenant, user_id))

    def tenant(self, tenant: str | None = None) -> str:
        """The tenant to act on: the given one (validated) or the configured default."""
        if tenant is None or tenant == self.settings.tenant:
            return self.settings.tenant
        try:
            return check_tenant(tenant)
        except ValueError as exc:
            raise InvalidInput(
                [FieldError(record="request", field="tenant", message=str(exc))]
            ) from exc

    def close(self) -> None:
        if "webhooks" in self.__dict__:  # built: deliveries may still be queued
            self.webhooks.close()
        if "gateway" in self.__dict__:  # built: it holds HTTP clients
            self.gateway.close()
        if "frames" in self.__dict__:  # built: a background check may be reading the store
            self.frames.wait()
        if "index" in self.__dict__:  # built: it may hold unsaved graph changes
            self.index.close()
        self.store.close()


def options(model: type[C], given: C | None, values: dict[str, Any]) -> C:
    """A request model from an instance or from keyword options (not both)."""
    if given is not None:
        if values:
            raise TypeError(f"give a {model.__name__} or keyword options, not both")
        return given
    return model.model_validate(values)
