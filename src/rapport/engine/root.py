"""The composition root: one `Engine` per configuration, built once, closed once."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from rapport.core.config import Settings
from rapport.core.models import Schema, TenantStats
from rapport.core.vectors.embedder import Embedder
from rapport.engine.services import Services

if TYPE_CHECKING:
    from rapport.engine.assistant import AssistantArea, PersonaArea
    from rapport.engine.audit import AuditArea
    from rapport.engine.churn import ChurnArea
    from rapport.engine.engage import EngageArea
    from rapport.engine.events import Events
    from rapport.engine.experiments import ExperimentsArea, ImpressionsArea
    from rapport.engine.generate import GenerateArea
    from rapport.engine.insights import InsightsArea
    from rapport.engine.items import Items
    from rapport.engine.keys import KeysArea
    from rapport.engine.knowledge import KnowledgeArea
    from rapport.engine.models import ModelsArea
    from rapport.engine.moderation import ModerationArea
    from rapport.engine.onboarding import OnboardingArea
    from rapport.engine.outbox import OutboxArea
    from rapport.engine.plans import PlansArea
    from rapport.engine.process import ProcessArea
    from rapport.engine.recommendations import RecommendationsArea
    from rapport.engine.safety import EscalationsArea, SafetyArea
    from rapport.engine.schedule import ScheduleArea
    from rapport.engine.search import SearchArea
    from rapport.engine.telemetry import TelemetryArea
    from rapport.engine.users import Users


class Readiness(Schema):
    """Whether the engine can serve: its database answers."""

    status: Literal["ready", "unavailable"]
    """`ready` or `unavailable`."""
    database: str
    """The back end (`sqlite`, `postgresql`), or the error when it does not answer."""


class Engine:
    """Composes storage, vectors and services for one configuration.

    `Engine(data="rapport-data")` builds everything from settings (file, environment,
    keyword overrides); `embedder` replaces the configured embedding model. Areas and their
    services are built on first use.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        **overrides: Any,
    ) -> None:
        self.settings = settings or Settings.load(**overrides)
        self._services = Services(self.settings, embedder)

    @cached_property
    def items(self) -> Items:
        """The catalogue: add, import, list, get, replace, delete, similar, index."""
        from rapport.engine.items import Items

        return Items(self._services)

    @cached_property
    def users(self) -> Users:
        """People: add, import, list, get, replace, delete (delete-my-data), insights."""
        from rapport.engine.users import Users

        return Users(self._services)

    @cached_property
    def events(self) -> Events:
        """Interactions: add, import, list."""
        from rapport.engine.events import Events

        return Events(self._services)

    @cached_property
    def recommendations(self) -> RecommendationsArea:
        """Lists with reasons: for_user, for_group."""
        from rapport.engine.recommendations import RecommendationsArea

        return RecommendationsArea(self._services)

    @cached_property
    def search(self) -> SearchArea:
        """Plain-language item search: items."""
        from rapport.engine.search import SearchArea

        return SearchArea(self._services)

    @cached_property
    def kb(self) -> KnowledgeArea:
        """The knowledge base: add, add_records, list, get, remove, search, ask."""
        from rapport.engine.knowledge import KnowledgeArea

        return KnowledgeArea(self._services)

    @cached_property
    def models(self) -> ModelsArea:
        """The trained recommender: train, show, versions, interactions, evaluate."""
        from rapport.engine.models import ModelsArea

        return ModelsArea(self._services)

    @cached_property
    def audit(self) -> AuditArea:
        """The log of AI actions: list."""
        from rapport.engine.audit import AuditArea

        return AuditArea(self._services)

    @cached_property
    def keys(self) -> KeysArea:
        """Per-tenant API keys: create, list, revoke, required, authenticate."""
        from rapport.engine.keys import KeysArea

        return KeysArea(self._services)

    @cached_property
    def onboarding(self) -> OnboardingArea:
        """Onboarding interviews: start, answer, get (resume)."""
        from rapport.engine.onboarding import OnboardingArea

        return OnboardingArea(self._services)

    @cached_property
    def assistant(self) -> AssistantArea:
        """The assistant: chat, intent, conversation."""
        from rapport.engine.assistant import AssistantArea

        return AssistantArea(self._services)

    @cached_property
    def persona(self) -> PersonaArea:
        """The tenant's assistant persona: get, set."""
        from rapport.engine.assistant import PersonaArea

        return PersonaArea(self._services)

    @cached_property
    def generate(self) -> GenerateArea:
        """Generated content: resume, resume_pdf, post, learning_path, tags, tag_posts,
        draft, recent."""
        from rapport.engine.generate import GenerateArea

        return GenerateArea(self._services)

    @cached_property
    def process(self) -> ProcessArea:
        """The process assistant: operations proposed from a chat message."""
        from rapport.engine.process import ProcessArea

        return ProcessArea(self._services)

    @cached_property
    def safety(self) -> SafetyArea:
        """The crisis screen: screen, screen_many, check (screen + escalate), reply."""
        from rapport.engine.safety import SafetyArea

        return SafetyArea(self._services)

    @cached_property
    def escalations(self) -> EscalationsArea:
        """Crises handed to humans: list, get, ack, resolve."""
        from rapport.engine.safety import EscalationsArea

        return EscalationsArea(self._services)

    @cached_property
    def moderation(self) -> ModerationArea:
        """Safety: check text, injection screen, the review queue (list, approve, reject)."""
        from rapport.engine.moderation import ModerationArea

        return ModerationArea(self._services)

    @cached_property
    def outbox(self) -> OutboxArea:
        """Delivery of nudges and reminders: enqueue, deliver, list, get, cancel, retry,
        click."""
        from rapport.engine.outbox import OutboxArea

        return OutboxArea(self._services)

    @cached_property
    def insights(self) -> InsightsArea:
        """For businesses: demand, forecast, prices, peaks, audience."""
        from rapport.engine.insights import InsightsArea

        return InsightsArea(self._services)

    @cached_property
    def experiments(self) -> ExperimentsArea:
        """A/B tests: create, list, get, assign, assign_many, report, check, stop."""
        from rapport.engine.experiments import ExperimentsArea

        return ExperimentsArea(self._services)

    @cached_property
    def impressions(self) -> ImpressionsArea:
        """Shown items and online metrics: log, metrics."""
        from rapport.engine.experiments import ImpressionsArea

        return ImpressionsArea(self._services)

    @cached_property
    def engage(self) -> EngageArea:
        """Scores and nudges: scores, nudges, plan, context."""
        from rapport.engine.engage import EngageArea

        return EngageArea(self._services)

    @cached_property
    def churn(self) -> ChurnArea:
        """Abandonment risk: train, show, risk (a model trained on the tenant's history)."""
        from rapport.engine.churn import ChurnArea

        return ChurnArea(self._services)

    @cached_property
    def telemetry(self) -> TelemetryArea:
        """Operators' view: serving model and queue depths per tenant (for /metrics)."""
        from rapport.engine.telemetry import TelemetryArea

        return TelemetryArea(self._services)

    @cached_property
    def schedule(self) -> ScheduleArea:
        """Sessions: availability, preferences, import_calendar, propose, book, sessions,
        cancel, reminders_due, calendar_ics."""
        from rapport.engine.schedule import ScheduleArea

        return ScheduleArea(self._services)

    @cached_property
    def plans(self) -> PlansArea:
        """Weekly plans: make, list, get, ics."""
        from rapport.engine.plans import PlansArea

        return PlansArea(self._services)

    def close(self) -> None:
        self._services.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def tenant(self, tenant: str | None = None) -> str:
        """The tenant to act on: the given one (validated) or the configured default."""
        return self._services.tenant(tenant)

    def tenants(self) -> list[str]:
        """Every tenant that has stored anything."""
        return self._services.store.tenants()

    def stats(self, *, tenant: str | None = None) -> TenantStats:
        """Counts of users, items per kind and events of one tenant, and what still waits
        for its embedding."""
        return self._services.store.stats(self.tenant(tenant), self._services.embedder.name)

    def finish_indexing(self) -> dict[str, TenantStats]:
        """Embed what an interrupted import left without vectors, in every tenant; returns
        the counts found before, for the tenants that had any (serve start-up and the
        worker call this)."""
        found = {}
        for tenant in self.tenants():
            before = self.stats(tenant=tenant)
            if before.unindexed_items:
                self.items.index(tenant=tenant)
            if before.unindexed_chunks:
                self.kb.index(tenant=tenant)
            if before.unindexed_items or before.unindexed_chunks:
                found[tenant] = before
        return found

    def ready(self) -> Readiness:
        """Whether the database answers (the readiness probe)."""
        store = self._services.store
        try:
            store.ping()
        except Exception as exc:  # any driver error means not ready
            return Readiness(status="unavailable", database=type(exc).__name__)
        return Readiness(status="ready", database=store.dialect)

    def warm_up(self) -> None:
        """Build every service, load the embedding model, finish any interrupted embedding
        and load the default tenant's catalogue now rather than on the first request
        (servers call this before they listen)."""
        self._services.build_all()
        _ = self._services.embedder.dim
        self.finish_indexing()
        # The default tenant's catalogue frame, vector index and popularity, so the first
        # request does not build them (on a large catalogue they take a while).
        self._services.recommender.warm(self.tenant())
