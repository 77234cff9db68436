"""Webhook delivery: at-least-once, in order per department and case, retried on a schedule.

Every attempt is recorded. An acknowledged offer becomes `task.notified`; an exhausted one (or a
410 Gone, which also disables the endpoint) becomes `task.notification_failed`, which dispatch
treats like no answer. Other messages (cancellations, reminders, case updates) are recorded as
delivered or failed without events: they tell the department something, they ask nothing of it.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from operator import attrgetter

from opentelemetry import trace
from sqlalchemy import Row, bindparam, func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from jiesu_shared.quiet_log import QuietLog
from jiesu_shared.store import ConcurrencyError, Database, EventStore
from jiesu_shared.telemetry import context_from_traceparent, inject_headers, tracer
from jiesu_shared.wakeup import Wakeup

from jiesu_gateway.adapters.tables import Delivery, Task
from jiesu_gateway.delivery_outcome import (ANSWERS_AWAITED, Finished, Recorder, record_all,
                                             record_each_despite_races)
from jiesu_gateway.departments import Endpoint, endpoints, signing_secrets
from jiesu_gateway.disclosure import NOT_LIVE, IntakeDisclosures
from jiesu_gateway.messages import with_personal
from jiesu_gateway.signing import signature_headers
from jiesu_gateway.ssrf import (PinnedTarget, Resolver, UnsafeWebhookTarget, names_an_address, pin_webhook_url,
                                system_resolver)
from jiesu_gateway.tasks import view_of
from jiesu_gateway.webhook_sender import SendFailed, WebhookSender, retry_after_seconds

log = logging.getLogger(__name__)
database_away = QuietLog(log)  # a database outage must not stop the worker, nor fill the log
# How long a claimed delivery is this instance's alone; renewed while its attempt is in flight, so a
# crashed instance's deliveries are attempted again within this time, and a live one keeps them.
LEASE = timedelta(seconds=10)
# How soon a finished attempt is recorded at the latest: a turn that comes sooner (a new delivery, another attempt
# due) records it; meanwhile others finish, and one transaction records them all.
RECORD_WITHIN = 0.02
Clock = Callable[[], datetime]
RecordAll = Callable[[Session, list[Finished], Recorder], None]
Due = tuple[Row, Endpoint | None, Row | None, datetime]  # a delivery claimed, its department, task, our lease
__all__ = ["ANSWERS_AWAITED", "LEASE", "Clock", "DeliveryWorker", "system_clock"]
_DELIVERY = Delivery.__table__  # type: ignore[attr-defined]
# The earliest moment a pending delivery comes due: the look when nothing was announced, without the write lock.
_EARLIEST_PENDING = sa_select(func.min(_DELIVERY.c.next_attempt_at)).where(_DELIVERY.c.status == "pending")
_PENDING_IN_ORDER = (select(_DELIVERY.c.id, _DELIVERY.c.department_id, _DELIVERY.c.case_id, _DELIVERY.c.next_attempt_at)
                     .where(_DELIVERY.c.status == "pending").order_by(_DELIVERY.c.id).limit(1000))
# A lease on each due delivery, unless another instance leased it since it was read (its lease is in the future),
# returning what the attempts need: one statement for the whole claim.
_CLAIM = (update(_DELIVERY).where(_DELIVERY.c.id.in_(bindparam("ids", expanding=True)),
                                  _DELIVERY.c.status == "pending", _DELIVERY.c.next_attempt_at <= bindparam("now"))
          .values(next_attempt_at=bindparam("lease"))
          .returning(_DELIVERY.c.id, _DELIVERY.c.webhook_id, _DELIVERY.c.department_id, _DELIVERY.c.case_id,
                     _DELIVERY.c.task_id, _DELIVERY.c.event_type, _DELIVERY.c.body, _DELIVERY.c.traceparent))
_TASK = Task.__table__  # type: ignore[attr-defined]
_TASKS = sa_select(_TASK.c.task_id, _TASK.c.case_id, _TASK.c.department_id, _TASK.c.status, _TASK.c.kind,
                   _TASK.c.whistle_id).where(_TASK.c.task_id.in_(bindparam("ids", expanding=True)))


def system_clock() -> datetime:
    return datetime.now(UTC)


class DeliveryWorker:
    def __init__(self, *, database: Database, store: EventStore, schedule: list[float], timeout: float,
                 allow_private: bool, concurrency: int = 16, clock: Clock = system_clock,
                 idle_pause: float = 1.0, on_appended: Callable[[], None] = lambda: None,
                 resolve: Resolver = system_resolver, disclosures: IntakeDisclosures | None = None) -> None:
        self._db = database
        self._recorder = Recorder(store=store, schedule=schedule, clock=clock)
        self._timeout = timeout
        self._allow_private = allow_private
        self._concurrency = concurrency
        self._clock = clock
        self._idle_pause = idle_pause  # the longest wait between looks: retries come due, other instances add work
        self._on_appended = on_appended  # wakes the outbox relay
        self._resolve = resolve
        self._disclosures = disclosures or IntakeDisclosures(None)
        self._tracer = tracer("jiesu.gateway.webhooks")
        self._wakeup = Wakeup()
        self._held: dict[int, tuple[datetime, asyncio.Task]] = {}  # in flight: delivery id -> (our lease, attempt)
        self._finished: list[Finished] = []  # attempts made, to be recorded at the next turn
        self._record_soon: asyncio.TimerHandle | None = None  # the turn that records them, unless one comes first
        self._news = False  # deliveries were added since the last look: it takes the write lock without asking

    def expect_news(self) -> None:
        """A delivery is being added (in a transaction about to commit; callable from any thread)."""
        self._news = True

    def wake_threadsafe(self) -> None:
        """Something was just committed (callable from any thread): look now, not at the next poll."""
        self._wakeup.send_threadsafe()

    async def run(self, stop: asyncio.Event) -> None:
        """Start each due attempt on its own, so a slow endpoint holds up nobody but its own queue. Each turn
        is one transaction: it records the attempts that finished since the last and claims what is due now."""
        in_flight: set[asyncio.Task] = set()
        self._wakeup.bind()
        renewing = asyncio.create_task(self._keep_leases(stop))
        async with WebhookSender(self._timeout, self._concurrency) as sender:
            try:
                while not stop.is_set():
                    pause = await self._turn(sender, in_flight)
                    await self._wakeup.wait(stop, pause)  # an attempt finishing or a new delivery wakes it
            finally:
                await asyncio.gather(*in_flight, return_exceptions=True)
                renewing.cancel()
                if self._finished:  # what was sent before the stop is recorded, not sent again after it
                    await self._turn(sender, in_flight, claim=False)

    async def _turn(self, sender: WebhookSender, in_flight: set[asyncio.Task], claim: bool = True) -> float:
        """Record what finished, start what is due; return how long to wait for the next turn at most."""
        self._wakeup.looking()
        if self._record_soon is not None:
            self._record_soon.cancel()  # this turn records them
            self._record_soon = None
        finished, self._finished = self._finished, []
        news, self._news = self._news, False
        room = self._concurrency - len(in_flight) if claim else 0
        try:
            due, pause = await asyncio.to_thread(self._settle, finished, room, news)
        except Exception as exc:  # the database away: the deliveries wait in it; look again later
            self._finished = finished + self._finished
            self._news = self._news or news
            database_away.warning("could not record or look for due webhooks (%s); retrying", type(exc).__name__)
            return self._idle_pause
        if finished:
            self._on_appended()  # task.notified and the like are in the outbox
        for delivery, department, task, lease in due:
            attempt = asyncio.create_task(self._attempt(sender, delivery, department, task))
            self._held[delivery.id] = (lease, attempt)  # type: ignore[index]
            in_flight.add(attempt)
            attempt.add_done_callback(_forget_when_done(in_flight))
        return pause

    async def _keep_leases(self, stop: asyncio.Event) -> None:
        """Renew the lease of every attempt in flight a few times per lease; an attempt whose delivery
        another instance took over (this one stalled past its lease) is abandoned: one sender at a time."""
        while not stop.is_set():
            await asyncio.sleep(LEASE.total_seconds() / 4)
            asked = {delivery_id: lease for delivery_id, (lease, _) in self._held.items()}
            if not asked:
                continue
            try:
                lease, lost = await asyncio.to_thread(self._renew, asked)
            except Exception:  # the database away: the leases run out and the deliveries are attempted again
                log.warning("could not renew webhook leases; retrying")
                continue
            for delivery_id in asked:
                held = self._held.get(delivery_id)
                if held is None:
                    continue  # its attempt finished meanwhile
                if delivery_id in lost:
                    del self._held[delivery_id]
                    log.warning("webhook delivery %s was taken over by another instance; abandoning", delivery_id)
                    held[1].cancel()
                else:
                    self._held[delivery_id] = (lease, held[1])

    def _renew(self, held: dict[int, datetime]) -> tuple[datetime, list[int]]:
        """Extend each lease this instance still holds; return the new lease and the deliveries it lost."""
        lease, lost = self._clock() + LEASE, []
        with self._db.transaction() as s:
            for delivery_id, ours in held.items():
                renewed = s.execute(update(Delivery).where(
                    col(Delivery.id) == delivery_id, col(Delivery.status) == "pending",
                    col(Delivery.next_attempt_at) == ours).values(next_attempt_at=lease)
                    .execution_options(synchronize_session=False))
                if renewed.rowcount != 1:
                    lost.append(delivery_id)
        return lease, lost

    def _settle(self, finished: list[Finished], room: int, news: bool) -> tuple[list[Due], float]:
        """In one transaction: record the finished attempts, then claim up to `room` due deliveries. Also how
        long until the next pending one comes due (the idle pause at most: other instances add deliveries too)."""
        if not finished:
            if room <= 0:
                return [], self._idle_pause  # an attempt finishing wakes the worker
            if not news:  # the usual answer when idle or all in flight, without taking the write lock
                with self._db.reading_rows() as connection:
                    earliest = connection.execute(_EARLIEST_PENDING).scalar()
                wait = (_aware(earliest) - self._clock()).total_seconds() if earliest is not None else self._idle_pause
                if wait > 0:
                    return [], min(wait, self._idle_pause)
        try:
            return self._record_and_claim(finished, room, record_all)
        except ConcurrencyError:  # a department acted on one of these tasks meanwhile: again, each on its own
            return self._record_and_claim(finished, room, record_each_despite_races)

    def _record_and_claim(self, finished: list[Finished], room: int, record: RecordAll) -> tuple[list[Due], float]:
        with self._db.transaction() as s:
            record(s, finished, self._recorder)
            return self._due(s, room) if room > 0 else ([], self._idle_pause)

    def _due(self, s: Session, room: int) -> tuple[list[Due], float]:
        """The oldest pending delivery of each (department, case), if it is due (later ones wait behind it),
        each claimed for this worker, with its department and task as they are now; at most `room` of them."""
        now = self._clock()
        # The queue's order and times only, as plain rows: under a backlog this runs over every pending
        # delivery at each look, and whole ORM objects cost ten times more.
        heads: dict[tuple[str, str], Row] = {}
        for row in s.connection().execute(_PENDING_IN_ORDER):
            heads.setdefault((row.department_id, row.case_id), row)
        ready = [row.id for row in heads.values() if _aware(row.next_attempt_at) <= now][:room]
        # a due one left for want of room is started when an attempt finishes (that wakes the worker)
        pause = min([self._idle_pause, *((_aware(row.next_attempt_at) - now).total_seconds()
                                         for row in heads.values() if _aware(row.next_attempt_at) > now)])
        if not ready:
            return [], pause
        # Leased: another gateway instance skips them until the attempt is recorded, or (if this process dies
        # mid-attempt) until the lease, renewed while the attempt runs, runs out.
        lease = now + LEASE
        due = sorted(s.connection().execute(_CLAIM, {"ids": ready, "now": now, "lease": lease}), key=attrgetter("id"))
        if not due:
            return [], pause
        departments = endpoints(s, {d.department_id for d in due})
        tasks = {t.task_id: t for t in s.connection().execute(_TASKS, {"ids": list({d.task_id for d in due})})}
        return [(d, departments.get(d.department_id), tasks.get(d.task_id), lease) for d in due], pause

    async def _attempt(self, sender: WebhookSender, delivery: Row, department: Endpoint | None,
                       task: Row | None) -> None:
        with self._tracer.start_as_current_span(
            f"webhook {delivery.event_type}", context=context_from_traceparent(delivery.traceparent),
            kind=trace.SpanKind.CLIENT,
            attributes={"jiesu.department_id": delivery.department_id, "jiesu.case_id": delivery.case_id,
                        "webhook.id": delivery.webhook_id},
        ):
            outcome, retry_after = await self._send(sender, delivery, department, task)
        if self._held.pop(delivery.id, None) is None:  # type: ignore[arg-type]
            return  # taken over by another instance meanwhile: it records its own attempt
        self._finished.append(Finished(delivery.id, outcome, retry_after))  # type: ignore[arg-type]
        if self._record_soon is None:  # recorded at the next turn, with whatever else finishes by then
            self._record_soon = asyncio.get_running_loop().call_later(RECORD_WITHIN, self._wakeup.send_threadsafe)

    async def _send(self, sender: WebhookSender, delivery: Row, department: Endpoint | None,
                    task: Row | None) -> tuple[str, float | None]:
        """Return ("ok" | "gone" | "skip" | an error text, seconds the receiver asked us to wait)."""
        if department is None or not department.webhook_url or not department.webhook_enabled:
            return "skip", None  # no endpoint: the department polls GET /tasks instead
        try:  # resolved and checked now, and connected to exactly that address (DNS rebinding)
            target = await self._pin(department.webhook_url)
        except UnsafeWebhookTarget as exc:
            return f"refused target: {exc}", None
        body = (await self._body_to_send(delivery, task)).encode()
        timestamp = int(self._clock().timestamp())
        headers = signature_headers(signing_secrets(department, self._clock()), delivery.webhook_id, timestamp, body)
        headers.update({"content-type": "application/json", "host": target.host_header,
                        "user-agent": "jiesu-agency-gateway"})
        inject_headers(headers)
        try:
            answer = await sender.post(target, body, headers)
        except SendFailed as exc:
            return str(exc), None
        if 200 <= answer.status < 300:
            return "ok", None
        if answer.status == 410:
            return "gone", None
        return f"HTTP {answer.status}", retry_after_seconds(answer, self._clock())

    async def _pin(self, url: str) -> PinnedTarget:
        if names_an_address(url):  # nothing to look up: checked here, without a hand-off to a thread
            return pin_webhook_url(url, allow_private=self._allow_private, resolve=self._resolve)
        return await asyncio.to_thread(pin_webhook_url, url, allow_private=self._allow_private, resolve=self._resolve)

    async def _body_to_send(self, delivery: Row, task: Row | None) -> str:
        """The stored body plus the case's personal data if the task is live for this department now."""
        view = view_of(task)
        if view is None or view.department_id != delivery.department_id:
            return with_personal(delivery.body, NOT_LIVE.fields())  # no task of this department: no need to know
        disclosure = await self._disclosures.for_task(view, "webhook")
        return with_personal(delivery.body, disclosure.fields())

def _forget_when_done(in_flight: set[asyncio.Task]) -> Callable[[asyncio.Task], None]:
    def done(attempt: asyncio.Task) -> None:
        in_flight.discard(attempt)
        if not attempt.cancelled() and attempt.exception() is not None:
            # an unexpected failure while sending: the lease runs out and the attempt is made again
            log.error("webhook attempt failed to complete", exc_info=attempt.exception())
    return done


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite drops the offset
