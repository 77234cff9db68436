"""A hand-made log whose delays, returns and rates are worked out by hand (see the comments), for the
audit's known-answer tests. All times are UTC in November 2026; the audit is asked "as of" AS_OF."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from jiesu_shared.catalogue import dispatch as d
from jiesu_shared.catalogue import gateway as g
from jiesu_shared.catalogue import intake as i
from jiesu_shared.catalogue import type_name_of
from jiesu_shared.catalogue.common import Place, SealedContact
from jiesu_shared.events import Envelope

AS_OF = datetime(2026, 11, 30, tzinfo=UTC)
JINGSHAN = Place(district="Dongcheng", street="Jingshan", community="Sanyanjing", grid="G-07",
                 address="景山街道三眼井胡同12号院3单元401室", latitude=39.92, longitude=116.39)
ZGC = Place(district="Haidian", street="Zhongguancun", community="Huangzhuang", address="海淀区黄庄8号")
C1, C2, C3, C4 = "case-1", "case-2", "case-3", "case-4"


def t(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


class _Log:
    def __init__(self) -> None:
        self.events: list[Envelope] = []
        self._sequence: dict[str, int] = {}

    def add(self, at: datetime, payload: BaseModel, subject: str | None = None, type_name: str | None = None,
            source: str = "/jiesu/test") -> None:
        data = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
        subject = subject or data["case_id"]
        self._sequence[subject] = self._sequence.get(subject, 0) + 1
        self.events.append(Envelope(
            id=f"e-{len(self.events) + 1:04d}", source=source, type=type_name or type_name_of(payload),
            subject=subject, time=at, sequence=self._sequence[subject], correlationid=f"corr-{subject}",
            causationid=self.events[-1].id if self.events else None, data=data))

    def offer(self, at: datetime, task: str, case: str, department: str, place: Place, role: str = "lead",
              kind: str = "case", **extra) -> None:
        self.add(at, d.TaskOffered(task_id=task, case_id=case, department_id=department, role=role,
                                   category="property_management", summary="楼上漏水 13912345678", place=place,
                                   decide_by=at + timedelta(hours=2), respond_by=at + timedelta(hours=24),
                                   resolve_by=at + timedelta(days=7), kind=kind, **extra))


def known_log() -> list[Envelope]:
    log = _Log()
    _case_1(log)
    _case_2(log)
    _case_3(log)
    _case_4(log)
    return log.events


def _received(log: _Log, at: datetime, case: str, place: Place, category: str = "property_management") -> None:
    contact = SealedContact(citizen_id=f"citizen-of-{case}" if case != C2 else "citizen-of-case-1",
                            key_id="k1", algorithm="AES-256-GCM", ciphertext="c2VjcmV0IGNpcGhlcnRleHQ=")
    log.add(at, i.CaseReceived(case_id=case, channel="hotline", category=category, place=place, received_at=at,
                               contact=contact,
                               text="我是张三，电话13912345678，身份证11010519491231002X，邮箱zs@example.com，座机010-65123456"))


def _case_1(log: _Log) -> None:
    # received 11-01 08:00, dispatched 08:05 (waiting for dispatch 300 s).
    # property-firm returns T1 after 30 min (1800 s); housing gets T3 at 08:40 (the detour cost 08:05→08:40 = 2100 s)
    # and accepts it at 10:00 (decided after 4800 s). Nobody owned the case 08:00→10:00: flying 7200 s.
    # Housing: first contact 12:00 (7200 s after accepting), completed 11-03 10:00 (172800 s).
    # urban-management supports (T2): accepted 09:40 (5700 s), completed 11-03 12:00 (181200 s): the slowest of two.
    # Handled 11-03 12:00, call-back 11-04 09:00 (75600 s later): resolved_satisfied, satisfied. Closed → 262800 s.
    _received(log, t(1, 8), C1, JINGSHAN)
    log.add(t(1, 8, 5), d.CaseDispatched(case_id=C1, lead_department="property-firm",
                                         supporting_departments=["urban-management"], rule="r1"))
    log.offer(t(1, 8, 5), "T1", C1, "property-firm", JINGSHAN)
    log.offer(t(1, 8, 5), "T2", C1, "urban-management", JINGSHAN, role="supporting")
    log.add(t(1, 8, 35), g.TaskReturned(task_id="T1", case_id=C1, department_id="property-firm",
                                        reason="not_our_remit", suggested_department="housing", returned_at=t(1, 8, 35),
                                        note="请联系 li.si@example.org 或 13800001111"))
    log.add(t(1, 8, 40), d.CaseRerouted(case_id=C1, from_department="property-firm", to_department="housing",
                                        reason="named by the returning department", return_count=1))
    log.offer(t(1, 8, 40), "T3", C1, "housing", JINGSHAN)
    log.add(t(1, 9, 40), g.TaskAccepted(task_id="T2", case_id=C1, department_id="urban-management",
                                        accepted_at=t(1, 9, 40)))
    log.add(t(1, 10), g.TaskAccepted(task_id="T3", case_id=C1, department_id="housing", accepted_at=t(1, 10)))
    log.add(t(1, 12), g.TaskResponded(task_id="T3", case_id=C1, department_id="housing", responded_at=t(1, 12)))
    log.add(t(3, 10), g.TaskCompleted(task_id="T3", case_id=C1, department_id="housing", resolution="修好了",
                                      completed_at=t(3, 10)))
    log.add(t(3, 12), g.TaskCompleted(task_id="T2", case_id=C1, department_id="urban-management",
                                      resolution="配合完成", completed_at=t(3, 12)))
    log.add(t(3, 12), d.CaseHandled(case_id=C1, lead_department="housing", handled_at=t(3, 12), resolution="修好了"))
    log.add(t(4, 9), i.CallbackRecorded(case_id=C1, outcome="resolved_satisfied", satisfaction="satisfied",
                                        operator="op-7", recorded_at=t(4, 9)))
    log.add(t(4, 9), i.CaseClosed(case_id=C1, outcome="resolved_satisfied", satisfaction="satisfied", closed_at=t(4, 9)))


def _case_2(log: _Log) -> None:
    # Ping-pong: property-firm (T4, returned after 600 s) → housing (T5 offered 08:20: cost 1200 s; returned
    # after 3600 s) → property-firm (T6 offered 09:30: cost 4200 s; accepted 10:30 after 3600 s).
    # Flying 08:00→10:30 = 9000 s. T6 never responds: respond SLA breached. Completed 11-08 10:30 (259200 s).
    # Call-back 11-09 10:30 (86400 s after handling): neither, dissatisfied. Reopened 11-09 11:00; T7 offered
    # 11:30 and accepted 12:00 (1800 s): flying 11:00→12:00 = 3600 s more, 12600 s in all. First contact
    # 11-10 11:00 (82800 s, before respond_by 11:30); completed 11-12 12:00 (259200 s); handled; call-back
    # 11-13 12:00 (86400 s): satisfied_unresolved, basically_satisfied.
    _received(log, t(5, 8), C2, JINGSHAN)
    log.add(t(5, 8), d.CaseDispatched(case_id=C2, lead_department="property-firm", supporting_departments=[],
                                      rule="r1"))
    log.offer(t(5, 8), "T4", C2, "property-firm", JINGSHAN)
    log.add(t(5, 8, 10), g.TaskReturned(task_id="T4", case_id=C2, department_id="property-firm",
                                        reason="wrong_jurisdiction", returned_at=t(5, 8, 10)))
    log.offer(t(5, 8, 20), "T5", C2, "housing", JINGSHAN)
    log.add(t(5, 9, 20), g.TaskReturned(task_id="T5", case_id=C2, department_id="housing", reason="not_our_remit",
                                        returned_at=t(5, 9, 20)))
    log.offer(t(5, 9, 30), "T6", C2, "property-firm", JINGSHAN)
    log.add(t(5, 10, 30), g.TaskAccepted(task_id="T6", case_id=C2, department_id="property-firm",
                                         accepted_at=t(5, 10, 30)))
    log.add(t(6, 9, 30), d.SlaBreached(case_id=C2, task_id="T6", department_id="property-firm", clock="respond",
                                       deadline=t(6, 9, 30)))
    log.add(t(8, 10, 30), g.TaskCompleted(task_id="T6", case_id=C2, department_id="property-firm",
                                          resolution="done", completed_at=t(8, 10, 30)))
    log.add(t(8, 10, 30), d.CaseHandled(case_id=C2, lead_department="property-firm", handled_at=t(8, 10, 30),
                                        resolution="done"))
    log.add(t(9, 10, 30), i.CallbackRecorded(case_id=C2, outcome="neither", satisfaction="dissatisfied",
                                             operator="op-7", recorded_at=t(9, 10, 30)))
    log.add(t(9, 11), i.CaseReopened(case_id=C2, reason="citizen dissatisfied", reopen_count=1))
    log.offer(t(9, 11, 30), "T7", C2, "property-firm", JINGSHAN)
    log.add(t(9, 12), g.TaskAccepted(task_id="T7", case_id=C2, department_id="property-firm", accepted_at=t(9, 12)))
    log.add(t(10, 11), g.TaskResponded(task_id="T7", case_id=C2, department_id="property-firm",
                                       responded_at=t(10, 11)))
    log.add(t(12, 12), g.TaskCompleted(task_id="T7", case_id=C2, department_id="property-firm",
                                       resolution="done again", completed_at=t(12, 12)))
    log.add(t(12, 12), d.CaseHandled(case_id=C2, lead_department="property-firm", handled_at=t(12, 12),
                                     resolution="done again"))
    log.add(t(13, 12), i.CallbackRecorded(case_id=C2, outcome="satisfied_unresolved",
                                          satisfaction="basically_satisfied", operator="op-7", recorded_at=t(13, 12)))
    log.add(t(13, 12), i.CaseClosed(case_id=C2, outcome="satisfied_unresolved", satisfaction="basically_satisfied",
                                    closed_at=t(13, 12)))


def _case_3(log: _Log) -> None:
    # Dispatched 30 min after receipt (1800 s); housing accepts T8 after 1800 s (flying 08:00→09:00 = 3600 s)
    # and makes first contact 30 min later (1800 s). A whistle at 10:00 summons urban-management (reports in at
    # 11:00: 3600 s) and fire-safety (no-show). A joint meeting gives housing task T11, due 11-25, never done:
    # open and overdue as of 11-30. Also: an event type audit has never heard of, and a directory event whose
    # subject is a department — both kept, neither breaks anything.
    _received(log, t(20, 8), C3, JINGSHAN)
    log.add(t(20, 8, 30), d.CaseDispatched(case_id=C3, lead_department="housing", supporting_departments=[],
                                           rule="r1"))
    log.offer(t(20, 8, 30), "T8", C3, "housing", JINGSHAN)
    log.add(t(20, 9), g.TaskAccepted(task_id="T8", case_id=C3, department_id="housing", accepted_at=t(20, 9)))
    log.add(t(20, 9, 30), g.TaskResponded(task_id="T8", case_id=C3, department_id="housing", responded_at=t(20, 9, 30)))
    log.add(t(20, 10), d.WhistleBlown(whistle_id="W1", case_id=C3, street_office="jingshan-street",
                                      summoned=["urban-management", "fire-safety"], report_in_by=t(20, 12),
                                      reason="多部门"))
    log.offer(t(20, 10), "T9", C3, "urban-management", JINGSHAN, role="supporting", kind="whistle_report_in",
              whistle_id="W1", report_in_by=t(20, 12))
    log.offer(t(20, 10), "T10", C3, "fire-safety", JINGSHAN, role="supporting", kind="whistle_report_in",
              whistle_id="W1", report_in_by=t(20, 12))
    log.add(t(20, 11), g.TaskReportedIn(task_id="T9", case_id=C3, department_id="urban-management", whistle_id="W1",
                                        reported_at=t(20, 11)))
    log.add(t(20, 12), d.WhistleNoShow(whistle_id="W1", case_id=C3, department_id="fire-safety",
                                       report_in_by=t(20, 12)))
    log.add(t(21, 8), d.MeetingConvened(meeting_id="M1", street_office="jingshan-street", convened_by="wang.li",
                                        participants=["housing"],
                                        case_ids=[C3], scheduled_at=t(21, 9)), subject="M1")
    log.add(t(21, 9), d.MeetingDecisionRecorded(meeting_id="M1", decision_id="D1", case_id=C3, text="housing fixes it",
                                                owner_department="housing", deadline=t(25, 0), task_id="T11"))
    log.offer(t(21, 9), "T11", C3, "housing", JINGSHAN, kind="meeting_decision", meeting_id="M1")
    log.add(t(21, 10), {"case_id": C3, "tag": "visited by 王五 13700001111"}, type_name="case.tagged.v1")
    log.add(t(21, 10), {"department_id": "housing", "note": "a type from the future"}, subject="housing",
            type_name="directory.audit_test_probe.v1")


def _case_4(log: _Log) -> None:
    # Another street. Dispatched after 3600 s; urban-management accepts T12 after 1800 s, first contact
    # 11-11 09:00 (88200 s: later than respond_by 11-11 08:00), completed 11-11 10:00 (91800 s).
    # Call-back 11-12 10:00: resolved_unsatisfied, dissatisfied.
    _received(log, t(10, 7), C4, ZGC, category="noise")
    log.add(t(10, 8), d.CaseDispatched(case_id=C4, lead_department="urban-management", supporting_departments=[],
                                       rule="r2"))
    log.offer(t(10, 8), "T12", C4, "urban-management", ZGC)
    log.add(t(10, 8, 30), g.TaskAccepted(task_id="T12", case_id=C4, department_id="urban-management",
                                         accepted_at=t(10, 8, 30)))
    log.add(t(11, 9), g.TaskResponded(task_id="T12", case_id=C4, department_id="urban-management",
                                      responded_at=t(11, 9)))
    log.add(t(11, 10), g.TaskCompleted(task_id="T12", case_id=C4, department_id="urban-management",
                                       resolution="噪音已处理", completed_at=t(11, 10)))
    log.add(t(11, 10), d.CaseHandled(case_id=C4, lead_department="urban-management", handled_at=t(11, 10),
                                     resolution="噪音已处理"))
    log.add(t(12, 10), i.CallbackRecorded(case_id=C4, outcome="resolved_unsatisfied", satisfaction="dissatisfied",
                                          operator="op-9", recorded_at=t(12, 10)))
    log.add(t(12, 10), i.CaseClosed(case_id=C4, outcome="resolved_unsatisfied", satisfaction="dissatisfied",
                                    closed_at=t(12, 10)))
