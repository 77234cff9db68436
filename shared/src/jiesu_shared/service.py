"""The parts every Jiesu service is built from, wired once: its own database and event store, the
bus, the outbox relay, consumers, and a FastAPI app with problem+json errors, tracing and health."""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel

from jiesu_shared.access.guard import Authenticator
from jiesu_shared.access.whoami import router as whoami_router
from jiesu_shared.bus.port import Bus, Publisher
from jiesu_shared.consumer import ConsumerRunner, ProgressObserver
from jiesu_shared.http.openapi import install_problem_openapi
from jiesu_shared.http.problems import install_problem_handlers
from jiesu_shared.messagebus import BatchHandler, CommandHandler, EventHandler, MessageBus
from jiesu_shared.metrics import ServiceMetrics, install_metrics
from jiesu_shared.runtime import Worker, worker_lifespan
from jiesu_shared.settings import ServiceSettings
from jiesu_shared.store import Database, EventStore
from jiesu_shared.store.relay import OutboxRelay


@dataclass
class ServiceKernel:
    name: str
    settings: ServiceSettings
    database: Database
    store: EventStore
    bus: Bus
    publisher: Publisher
    relay: OutboxRelay
    authenticator: Authenticator
    metrics: ServiceMetrics
    consumers: list[ConsumerRunner] = field(default_factory=list)

    @classmethod
    def build(cls, name: str, settings: ServiceSettings) -> ServiceKernel:
        database = Database(settings.database_url)
        metrics = ServiceMetrics(name, settings)
        bus = metrics.count_dead_letters(settings.make_bus(client_id=f"jiesu-{name}"), settings.dead_letter_topic)
        publisher = bus.publisher()
        return cls(name=name, settings=settings, database=database,
                   store=EventStore(source=f"/jiesu/{name}", topic=settings.topic), bus=bus,
                   publisher=publisher, relay=OutboxRelay(database=database, publisher=publisher,
                                                           turn_interval=settings.relay_turn_interval_seconds),
                   authenticator=Authenticator.from_settings(settings), metrics=metrics)

    def message_bus(self, *, commands: Mapping[type, CommandHandler] | None = None,
                    batched: Mapping[type, BatchHandler] | None = None,
                    events: Mapping[type[BaseModel], EventHandler] | None = None) -> MessageBus:
        """The service's one message path (see jiesu_shared.messagebus); each commit wakes the outbox relay."""
        return MessageBus(self.database, commands=commands, batched=batched, events=events,
                          on_committed=self.relay.wake_threadsafe)

    def consume(self, consumer: str, bus: MessageBus, on_handled: Callable[[], None] | None = None,
                on_progress: ProgressObserver | None = None) -> None:
        """Run the bus's event handlers on the log (the one message path: handlers keyed by catalogue class);
        after each committed batch that handled something, `on_handled` (e.g. a worker waiting for what the
        handlers wrote) is called. The outbox relay needs no call: a transaction that filled the outbox wakes
        it as it ends (relay.py)."""
        self.consumers.append(ConsumerRunner(
            group=self.settings.group(f"{self.name}.{consumer}"), bus=self.bus, topic=self.settings.topic,
            dead_letter_topic=self.settings.dead_letter_topic, database=self.database, handlers=bus.consumed(),
            on_progress=on_progress, linger_seconds=self.settings.linger_seconds,
            **({"on_batch_handled": on_handled} if on_handled is not None else {})))

    def app(self, *, title: str, routers: Sequence[APIRouter], workers: Sequence[Worker] = (),
            state: object | None = None, health: Callable[[], dict] | None = None) -> FastAPI:
        async def on_start() -> None:
            await asyncio.to_thread(self.database.create_schema)
            await self.bus.ensure_topics([self.settings.topic, self.settings.dead_letter_topic])
            await self.publisher.start()

        async def on_stop() -> None:
            await self.publisher.stop()
            await asyncio.to_thread(self.database.dispose)

        def all_workers() -> list[Worker]:
            return [self.relay.run, *(c.run for c in self.consumers), *workers]

        # FastAPI's native telemetry off: the edge (http/edge.py, installed with the metrics) opens the one
        # server span per request for less CPU; FastAPI's operation spans (dependencies, endpoint,
        # serialisation) and request metrics cost more CPU than the endpoint itself on a busy service.
        app = FastAPI(title=title, lifespan=worker_lifespan(all_workers, on_start, on_stop),
                      telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False})
        app.state.kernel = self
        app.state.service = state
        install_problem_handlers(app)
        install_problem_openapi(app)
        for router in (*routers, whoami_router):
            app.include_router(router)
        install_metrics(app, self)  # the edge (span, limits, traceparent, latency), /ready, the metrics server

        @app.get("/health", tags=["operations"], summary="Liveness: the process serves HTTP (open to anyone)")
        def health_check() -> dict:
            return {"status": "ok", "service": self.name, **(health() if health is not None else {})}

        return app


def kernel_of(request: Request) -> ServiceKernel:
    return request.app.state.kernel
