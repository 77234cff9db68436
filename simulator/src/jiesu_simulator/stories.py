"""One case's whole story, event by event, following the rules the services enforce."""
from __future__ import annotations

import base64
import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from jiesu_shared.catalogue import dispatch as d
from jiesu_shared.catalogue import gateway as g
from jiesu_shared.catalogue import intake as i
from jiesu_shared.catalogue.common import Place, SealedContact

from jiesu_dispatch.domain.sla import SlaPolicy, TimerSpec, timers_for
from jiesu_dispatch.domain.timers import runs_out

from jiesu_simulator.lawful_log import Draft, LogBook
from jiesu_simulator.repeats import OpenRequests, Request
from jiesu_simulator.scenario import DUPLICATE_WINDOW_HOURS, WEBHOOK_RETRY_SCHEDULE, Behaviour, Scenario

# Dispatch's own clocks and rules (one source): deadlines per clock, warnings at its share of the window,
# and a warning or breach exactly when dispatch's timer would yield one.
POLICY = SlaPolicy()
TEXTS = {
    "property_management": "楼上漏水，物业推诿不管 / water leaks from upstairs and the property firm won't act",
    "neighbour_dispute": "邻居在楼道堆放杂物 / a neighbour blocks the corridor with junk",
    "noise": "夜间酒吧噪音扰民 / bar noise late at night",
    "illegal_construction": "院内私搭乱建 / an illegal structure in the courtyard",
    "fire_hazard": "电动车楼道充电 / e-bikes charged in the stairwell",
    "heating": "暖气不热 / the radiators are cold",
    "waste_sorting": "垃圾分类桶满溢 / the sorting bins overflow",
}
VAGUE = "门口那个事情能不能管一管 / can someone deal with that thing at the gate"
PROGRESS = "正在处理中 / work under way"
GIVEN_UP = "HTTP 503"  # what the gateway keeps as the last attempt's error when an endpoint answers 503


@dataclass
class Story:
    """The events of one case in causal order; `truth` records what the scenario decided for it."""

    case_id: str
    events: list[Draft] = field(default_factory=list)
    truth: dict[str, object] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)  # the offers' webhook outcomes, in telling order
    given_up_at: dict[str, datetime] = field(default_factory=dict)  # task -> when its webhook was given up (at the
    # earliest: an offer waiting behind another of its department's is given up later still)


@dataclass(frozen=True)
class Delivery:
    """An offer's webhook outcome: where its event is in the story, and how long its retries took."""

    event: int
    department: str
    offered_at: datetime
    retrying: timedelta


class Storyteller:
    def __init__(self, scenario: Scenario, rng: random.Random, book: LogBook) -> None:
        self.s = scenario
        self.rng = rng
        self.book = book
        self.citizens = [book.new_id() for _ in range(2000)]  # repeat callers exist
        self.open_requests = OpenRequests(timedelta(hours=DUPLICATE_WINDOW_HOURS))

    # -- helpers ---------------------------------------------------------------------------------
    def _spread(self, median: float) -> float:
        return median * self.rng.lognormvariate(0, 0.5)

    def _pick(self, weights: dict[str, float]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def _emit(self, story: Story, service: str, stream: str, payload, t: datetime, cause,  # type: ignore[no-untyped-def]
              along_with: Draft | None = None) -> Draft:
        draft = self.book.draft(case_id=story.case_id, service=service, stream=stream, payload=payload, time=t,
                                cause=cause, along_with=along_with)
        story.events.append(draft)
        return draft

    # -- the story -------------------------------------------------------------------------------
    def tell(self, t0: datetime) -> Story:
        story = Story(case_id=self.book.new_id())
        repeat = self._repeat(t0)
        if repeat is None:
            subject, place = self._subject_and_place()
            category = "unclassified" if self.rng.random() < self.s.vague_rate / 3 else subject
            citizen = None
        else:  # the same citizen about the same problem at the same place
            repeated = repeat[0]
            subject, place, category, citizen = repeated.subject, repeated.place, repeated.category, repeated.citizen_id
        received = self._emit(story, "intake", "case", i.CaseReceived(
            case_id=story.case_id, channel=self._pick({"hotline": 0.6, "web_board": 0.2, "wechat": 0.1,
                                                        "grid_patrol": 0.1}),
            text=VAGUE if category == "unclassified" else TEXTS[subject], category=category, place=place,
            received_at=t0, request_type="complaint", contact=(contact := self._sealed_contact(citizen)),
            classification=i.Classification(rule_id=category, matched=[] if category == "unclassified" else [subject]),
        ), t0, None)
        story.truth.update(subject=subject, category=category)
        if repeat is not None:
            self._link_as_duplicate(story, received, repeat[1], t0)
        _, lead, supporting = self.s.subjects.get(category, (0, "street-office", ()))
        t = t0 + timedelta(seconds=self._spread(30))
        done_at = self._dispatch_and_handle(story, received, category, place, lead, supporting, t)
        self._call_back(story, received, done_at)
        self._queue_deliveries(story)
        if self.s.repeat_rate > 0 and repeat is None and category != "unclassified":
            self.open_requests.add(Request(case_id=story.case_id, received_at=t0, closed_at=story.truth["closed_at"],  # type: ignore[arg-type]
                                           subject=subject, category=category, place=place,
                                           citizen_id=contact.citizen_id))
        return story

    def _repeat(self, t0: datetime) -> tuple[Request, Request] | None:
        """Whether this request repeats an open one: (the one repeated, the one intake links it to)."""
        if self.s.repeat_rate <= 0 or self.rng.random() >= self.s.repeat_rate:
            return None
        candidates = self.open_requests.repeatable(t0)
        if not candidates:
            return None
        repeated = self.rng.choice(candidates)
        return repeated, self.open_requests.linked_to(repeated, t0)

    def _link_as_duplicate(self, story: Story, received: Draft, earlier: Request, t0: datetime) -> None:
        """Intake's link, appended with the receipt (one append: its correlation, no cause, its reason text)."""
        where = earlier.place.community or earlier.place.street
        self._emit(story, "intake", "case", i.CaseLinkedAsDuplicate(
            case_id=story.case_id, duplicate_of=earlier.case_id,
            reason=f"same subject {earlier.category} at {where} within {int(DUPLICATE_WINDOW_HOURS)}h"),
            t0, None, along_with=received)
        story.truth["duplicate_of"] = earlier.case_id

    def _subject_and_place(self) -> tuple[str, Place]:
        street = self.rng.choice(self.s.streets)
        community = self.rng.choice(street.communities)
        for subject, hotspot, share in self.s.recurring:
            if self.rng.random() < share:
                street = next(s for s in self.s.streets if hotspot in s.communities)
                return subject, Place(district=self.s.district, street=street.name, community=hotspot)
        subject = self._pick({k: v[0] for k, v in self.s.subjects.items()})
        return subject, Place(district=self.s.district, street=street.name, community=community,
                              grid=f"G-{self.rng.randint(1, 12):02d}")

    def _sealed_contact(self, citizen_id: str | None = None) -> SealedContact:
        return SealedContact(citizen_id=citizen_id or self.rng.choice(self.citizens), key_id=self.book.new_id(),
                             algorithm="AES-256-GCM", ciphertext=base64.b64encode(self.rng.randbytes(48)).decode())

    def _dispatch_and_handle(self, story: Story, received: Draft, category: str, place: Place, lead: str,
                             supporting: tuple[str, ...], t: datetime) -> datetime:
        dispatched = self._emit(story, "dispatch", "case", d.CaseDispatched(
            case_id=story.case_id, lead_department=lead, supporting_departments=list(supporting),
            rule=f"default/{category}", sla_policy_version=POLICY.version), t, received)
        lead_done = self._lead_task(story, dispatched, category, place, lead, t)
        finishes = [lead_done]
        for department in supporting:
            offer = self._offer(story, dispatched, department, "supporting", category, place, t)
            finishes.append(self._work(story, offer, department, t, accepted=True))
        if category in self.s.whistle_subjects and self.rng.random() < self.s.whistle_rate:
            self._whistle(story, dispatched, [lead, *supporting], place, category, t + timedelta(hours=1))
        handled_at = max(finishes) + timedelta(minutes=5)
        self._emit(story, "dispatch", "case", d.CaseHandled(
            case_id=story.case_id, lead_department=story.truth["final_lead"], handled_at=handled_at,
            resolution="handled"), handled_at, dispatched)
        return handled_at

    def _lead_task(self, story: Story, cause: Draft, category: str, place: Place, lead: str,
                   t: datetime) -> datetime:
        """Offer to the lead; returns bounce it on until someone accepts or a coordinator rules."""
        returned_by: list[str] = []
        department = lead
        while True:
            offer = self._offer(story, cause, department, "lead", category, place, t)
            behaviour = self.s.department(department).behaviour
            decided = self._decided(story, offer, behaviour, t)
            if self.rng.random() >= behaviour.return_rate:
                story.truth["final_lead"] = department
                return self._work(story, offer, department, t, accepted=True, decided=decided)
            reason = self._pick(dict(behaviour.return_reasons))
            returned = self._emit(story, "gateway", f"task-{offer.data['task_id']}", g.TaskReturned(
                task_id=offer.data["task_id"], case_id=story.case_id, department_id=department, reason=reason,
                returned_at=decided), decided, offer)
            returned_by.append(department)
            story.truth.setdefault("returns", []).append(  # type: ignore[union-attr]
                (department, reason, offer.data["task_id"]))
            t = decided + timedelta(minutes=self._spread(10))
            if len(returned_by) >= self.s.max_returns:
                self._emit(story, "dispatch", "case", d.CaseEscalated(
                    case_id=story.case_id, reason=f"returned {len(returned_by)} times",
                    return_count=len(returned_by)), t, returned)
                t += timedelta(hours=self._spread(3))
                cause = self._emit(story, "dispatch", "case", d.CaseDispatched(
                    case_id=story.case_id, lead_department=lead, supporting_departments=[], rule="ruling",
                    coordinator="coordinator-1", reason="审定: the rule's lead department is responsible",
                    sla_policy_version=POLICY.version), t, returned)
                offer = self._offer(story, cause, lead, "lead", category, place, t)
                story.truth["final_lead"] = lead
                return self._work(story, offer, lead, t, accepted=True, ruled=True)
            candidates = [x.department_id for x in self.s.departments if x.department_id not in returned_by]
            department = "street-office" if "street-office" in candidates else candidates[0]
            cause = self._emit(story, "dispatch", "case", d.CaseRerouted(
                case_id=story.case_id, from_department=returned_by[-1], to_department=department,
                reason="next rule candidate", return_count=len(returned_by)), t, returned)

    def _offer(self, story: Story, cause: Draft, department: str, role: str, category: str, place: Place,
               t: datetime, **extra) -> Draft:  # type: ignore[no-untyped-def]
        task_id = self.book.new_id()
        offer = self._emit(story, "dispatch", "case", d.TaskOffered(
            task_id=task_id, case_id=story.case_id, department_id=department, role=role, category=category,
            summary=TEXTS.get(category, VAGUE)[:60], place=place, decide_by=t + POLICY.decide_within,
            respond_by=t + POLICY.respond_within, resolve_by=t + POLICY.resolve_within,
            sla_policy_version=POLICY.version, **extra), t, cause)
        self._notify(story, offer, department, t)
        return offer

    def _notify(self, story: Story, offer: Draft, department: str, t: datetime) -> None:
        """The gateway's answer about the offer's webhook: acknowledged (on the first attempt, or a later one of
        its schedule), or given up after the last attempt. Its time is settled by `_queue_deliveries`."""
        behaviour = self.s.department(department).behaviour
        task_id = offer.data["task_id"]
        attempts, given_up = 1, False
        if behaviour.webhook_failure_rate or behaviour.webhook_retry_rate:
            draw = self.rng.random()
            if draw < behaviour.webhook_failure_rate:
                attempts, given_up = len(WEBHOOK_RETRY_SCHEDULE), True
            elif draw < behaviour.webhook_failure_rate + behaviour.webhook_retry_rate:
                attempts = self.rng.randint(2, 4)
        # the gateway waits the schedule's delay before each further attempt, with up to 10% jitter
        retrying = timedelta(seconds=sum(WEBHOOK_RETRY_SCHEDULE[n] * self.rng.uniform(1.0, 1.1)
                                         for n in range(1, attempts)))
        at = t + timedelta(seconds=1) + retrying
        story.deliveries.append(Delivery(len(story.events), department, t, retrying))
        story.truth.setdefault("deliveries", []).append((department, attempts, given_up))  # type: ignore[union-attr]
        if given_up:
            story.given_up_at[task_id] = at
            self._emit(story, "gateway", f"task-{task_id}", g.TaskNotificationFailed(
                task_id=task_id, case_id=story.case_id, department_id=department, webhook_id=offer.id,
                attempts=attempts, last_error=GIVEN_UP), at, offer)
        else:
            self._emit(story, "gateway", f"task-{task_id}", g.TaskNotified(
                task_id=task_id, case_id=story.case_id, department_id=department, webhook_id=offer.id,
                attempts=attempts, delivered_at=at), at, offer)

    @staticmethod
    def _queue_deliveries(story: Story) -> None:
        """The gateway delivers a department's webhooks about a case one at a time, in the order of the offers:
        an offer made while an earlier one's delivery is still being retried waits for it to end. (The story is
        told out of time order, a return's re-offer before the whistle of the same hour, so this comes last.)"""
        free_at: dict[str, datetime] = {}
        for delivery in sorted(story.deliveries, key=lambda x: (x.offered_at, x.event)):
            first = delivery.offered_at + timedelta(seconds=1)
            first = max(first, free_at.get(delivery.department, first))
            at = free_at[delivery.department] = first + delivery.retrying
            draft = story.events[delivery.event]
            if at != draft.time:
                data = draft.data if "delivered_at" not in draft.data else g.TaskNotified.model_validate(
                    {**draft.data, "delivered_at": at}).model_dump(mode="json")
                story.events[delivery.event] = replace(draft, time=at, data=data)

    def _decided(self, story: Story, offer: Draft, behaviour: Behaviour, t: datetime) -> datetime:
        """When the department accepts or returns the offer. One whose webhook failed finds the offer in its task
        list, and decides before the gateway gives up (else dispatch would escalate the case for want of an
        answer, a path the simulator does not play)."""
        decided = t + timedelta(minutes=self._spread(behaviour.decide_minutes))
        given_up = story.given_up_at.get(offer.data["task_id"])
        return decided if given_up is None or decided < given_up else given_up - timedelta(minutes=1)

    def _work(self, story: Story, offer: Draft, department: str, t: datetime, *, accepted: bool,
              decided: datetime | None = None, ruled: bool = False) -> datetime:
        behaviour = self.s.department(department).behaviour
        task_id, stream = offer.data["task_id"], f"task-{offer.data['task_id']}"
        decided = decided or self._decided(story, offer, behaviour, t)
        accept = self._emit(story, "gateway", stream, g.TaskAccepted(
            task_id=task_id, case_id=story.case_id, department_id=department, accepted_at=decided), decided, offer)
        slower = self.s.slow_streets.get(offer.data["place"]["street"], 1.0)
        responded = decided + timedelta(hours=self._spread(behaviour.respond_hours) * slower)
        self._deadline_events(story, offer, department, "respond", t, responded)
        self._emit(story, "gateway", stream, g.TaskResponded(
            task_id=task_id, case_id=story.case_id, department_id=department, responded_at=responded), responded, accept)
        completed = responded + timedelta(hours=self._spread(behaviour.complete_hours))
        self._deadline_events(story, offer, department, "resolve", t, completed)
        self._progress(story, offer, department, behaviour, responded, completed)
        self._emit(story, "gateway", stream, g.TaskCompleted(
            task_id=task_id, case_id=story.case_id, department_id=department, resolution="done",
            completed_at=completed), completed, accept)
        return completed

    def _progress(self, story: Story, offer: Draft, department: str, behaviour: Behaviour, responded: datetime,
                  completed: datetime) -> None:
        """Progress reports while the task is worked, after first contact and before completion (the gateway
        takes them from a responded task; each is caused by the offer, as all its task events are)."""
        if behaviour.progress_every_hours is None:
            return
        task_id = offer.data["task_id"]
        at = responded + timedelta(hours=self._spread(behaviour.progress_every_hours))
        while at < completed:
            self._emit(story, "gateway", f"task-{task_id}", g.TaskProgressReported(
                task_id=task_id, case_id=story.case_id, department_id=department, note=PROGRESS, reported_at=at),
                at, offer)
            story.truth.setdefault("progress_reports", []).append(department)  # type: ignore[union-attr]
            at += timedelta(hours=self._spread(behaviour.progress_every_hours))

    def _deadline_events(self, story: Story, offer: Draft, department: str, clock: str, offered_at: datetime,
                         done: datetime) -> None:
        """The clock's warning and breach, each at its time, if dispatch's timers would yield them."""
        for timer in self._timers(offer, offered_at, clock):
            if runs_out(timer, done):
                kind = d.SlaWarning if timer.phase == "warning" else d.SlaBreached
                self._emit(story, "dispatch", "case", kind(
                    case_id=story.case_id, task_id=timer.task_id, department_id=department, clock=clock,
                    deadline=timer.deadline), timer.due_at, offer)

    @staticmethod
    def _timers(offer: Draft, offered_at: datetime, clock: str) -> list[TimerSpec]:
        return [t for t in timers_for(d.TaskOffered(**offer.data), offered_at, POLICY.warn_at) if t.clock == clock]

    def _whistle(self, story: Story, cause: Draft, departments: list[str], place: Place, category: str,
                 t: datetime) -> None:
        summoned = [x for x in dict.fromkeys(departments) if x != "street-office"]
        if not summoned:
            return
        whistle_id = self.book.new_id()
        deadline = t + POLICY.report_in_within
        blown = self._emit(story, "dispatch", "case", d.WhistleBlown(
            whistle_id=whistle_id, case_id=story.case_id, street_office="street-office", summoned=summoned,
            report_in_by=deadline, reason="joint enforcement"), t, cause)
        for department in summoned:
            offer = self._offer(story, blown, department, "supporting", category, place, t,
                                kind="whistle_report_in", whistle_id=whistle_id, report_in_by=deadline)
            behaviour = self.s.department(department).behaviour
            if self.rng.random() < behaviour.whistle_miss_rate:
                self._emit(story, "dispatch", "case", d.WhistleNoShow(
                    whistle_id=whistle_id, case_id=story.case_id, department_id=department,
                    report_in_by=deadline), deadline, blown)
                continue
            arrived = t + timedelta(minutes=self._spread(behaviour.whistle_report_minutes))
            (timer,) = self._timers(offer, t, "report_in")
            if runs_out(timer, arrived):  # dispatch's rule: a report-in after the deadline is a no-show then
                self._emit(story, "dispatch", "case", d.WhistleNoShow(
                    whistle_id=whistle_id, case_id=story.case_id, department_id=department,
                    report_in_by=deadline), deadline, blown)
            reported = self._emit(story, "gateway", f"task-{offer.data['task_id']}", g.TaskReportedIn(
                task_id=offer.data["task_id"], case_id=story.case_id, department_id=department,
                whistle_id=whistle_id, reported_at=arrived), arrived, offer)
            if arrived > deadline:
                self._emit(story, "dispatch", "case", d.WhistleReportedInLate(
                    whistle_id=whistle_id, case_id=story.case_id, department_id=department, report_in_by=deadline,
                    reported_at=arrived, minutes_late=(arrived - deadline).total_seconds() / 60), arrived, reported)

    def _call_back(self, story: Story, received: Draft, handled_at: datetime) -> None:
        t = handled_at + timedelta(hours=self._spread(20))
        outcome = self._pick(self.s.outcomes)
        reason = self._pick(self.s.unresolvable_reasons) if outcome == "unresolvable" else None
        satisfaction = {"resolved_satisfied": "satisfied", "satisfied_unresolved": "basically_satisfied"}.get(
            outcome, "dissatisfied")
        callback = self._emit(story, "intake", "case", i.CallbackRecorded(
            case_id=story.case_id, outcome=outcome, unresolvable_reason=reason, satisfaction=satisfaction,
            operator="operator-1", recorded_at=t), t, received)
        self._emit(story, "intake", "case", i.CaseClosed(
            case_id=story.case_id, outcome=outcome, satisfaction=satisfaction, closed_at=t), t, callback)
        story.truth.update(outcome=outcome, closed_at=t)
