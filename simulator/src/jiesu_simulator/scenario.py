"""A district: its places, its departments and how they behave, and the citizens' requests it sees.

Defaults are calibrated to the seeds (see ../shared/design/DOMAIN.md): property management 62–73% of
cases and neighbour disputes 19–34% (seed 000), the five call-back outcomes 40.6 / 9.8 / 0.5 / 1.4 /
47.7% with "could not be resolved" split 23.7 / 14.5 / 9.5, over half of requests vaguely worded.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

# The services' own settings the simulator plays by (its package does not depend on theirs; a test checks
# these copies against the gateway's and intake's defaults).
WEBHOOK_RETRY_SCHEDULE = (0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 86400.0)  # seconds before each attempt
DUPLICATE_WINDOW_HOURS = 72.0  # intake links a new request to an open one on the same subject and place


@dataclass(frozen=True)
class Behaviour:
    """How a department acts on the tasks it is offered (times are medians; the simulator spreads them)."""

    return_rate: float = 0.05  # share of offers it returns (退单)
    return_reasons: tuple[tuple[str, float], ...] = (("not_our_remit", 0.6), ("wrong_jurisdiction", 0.2),
                                                     ("insufficient_information", 0.2))
    decide_minutes: float = 40.0
    respond_hours: float = 6.0
    complete_hours: float = 60.0
    whistle_miss_rate: float = 0.05  # share of whistles it does not report in to
    whistle_report_minutes: float = 20.0
    # Its webhook endpoint: the share of offers whose delivery the gateway gives up after every attempt of
    # its schedule (task.notification_failed), and the share acknowledged only on a later attempt.
    webhook_failure_rate: float = 0.0
    webhook_retry_rate: float = 0.0
    # While working a task (after first contact, before completion) it reports progress about this often;
    # None: it never does.
    progress_every_hours: float | None = None


@dataclass(frozen=True)
class Department:
    department_id: str
    kind: str  # government / street_office / community / property_firm / utility
    behaviour: Behaviour = Behaviour()


@dataclass(frozen=True)
class Street:
    name: str
    communities: tuple[str, ...]


@dataclass(frozen=True)
class Scenario:
    district: str
    streets: tuple[Street, ...]
    departments: tuple[Department, ...]
    # subject -> (share of cases, lead department, supporting departments)
    subjects: dict[str, tuple[float, str, tuple[str, ...]]]
    outcomes: dict[str, float]
    unresolvable_reasons: dict[str, float]
    vague_rate: float = 0.55  # worded too vaguely for rules; about a third of those stay unclassified
    whistle_subjects: tuple[str, ...] = ("illegal_construction", "fire_hazard")
    whistle_rate: float = 0.3
    max_returns: int = 2  # then a coordinator rules (审定)
    recurring: tuple[tuple[str, str, float], ...] = ()  # (subject, community, extra share): 每月一题 candidates
    planted: dict[str, str] = field(default_factory=dict)  # the truth the scenario plants, in words
    # a street where every department takes this many times longer to contact the citizen (unequal service)
    slow_streets: dict[str, float] = field(default_factory=dict)
    # share of requests that repeat an open one from within intake's duplicate window (the same citizen, subject
    # and place): intake links each to the first open case on that subject and place (case.linked_as_duplicate)
    repeat_rate: float = 0.0

    def department(self, department_id: str) -> Department:
        return next(d for d in self.departments if d.department_id == department_id)


def default_scenario(*, plant_signals: bool = False) -> Scenario:
    """The district. `plant_signals` adds what audit's signal figures count (a department whose webhook
    fails some deliveries, citizens repeating requests that intake links as duplicates, departments reporting
    progress on long tasks); off, the log is the one the tests with fixed numbers were written against."""
    district = _district()
    return with_signals(district) if plant_signals else district


def with_signals(scenario: Scenario, *, flaky_webhook: str = "urban-management", webhook_failure_rate: float = 0.08,
                 webhook_retry_rate: float = 0.25, progress_every_hours: float = 72.0,
                 repeat_rate: float = 0.04) -> Scenario:
    """The scenario with the signal plants: `flaky_webhook`'s endpoint fails some deliveries (given up on, or
    acknowledged on a later attempt), every department reports progress about every `progress_every_hours`
    of work, and `repeat_rate` of requests repeat an open one."""
    if flaky_webhook not in {d.department_id for d in scenario.departments}:
        raise ValueError(f"no department {flaky_webhook!r} in the district to give a flaky webhook")
    departments = tuple(
        replace(d, behaviour=replace(
            d.behaviour, progress_every_hours=progress_every_hours,
            **({"webhook_failure_rate": webhook_failure_rate, "webhook_retry_rate": webhook_retry_rate}
               if d.department_id == flaky_webhook else {})))
        for d in scenario.departments)
    return replace(scenario, departments=departments, repeat_rate=repeat_rate,
                   planted={**scenario.planted, "flaky_webhook": flaky_webhook})


def _district() -> Scenario:
    slow_housing = Behaviour(complete_hours=200.0, respond_hours=30.0, return_rate=0.08)
    wrong_returner = Behaviour(return_rate=0.35, return_reasons=(("not_our_remit", 1.0),), decide_minutes=90)
    absent = Behaviour(whistle_miss_rate=0.5, whistle_report_minutes=45)
    return Scenario(
        district="Dongcheng",
        streets=(Street("Jingshan", ("Sanyanjing", "Jixiang", "Huangtugang")),
                 Street("Jiaodaokou", ("Fuxue", "Nanluoguxiang", "Jiaodong")),
                 Street("Beixinqiao", ("Xinqiao", "Minan", "Jiudaowan"))),
        departments=(
            Department("street-office", "street_office"),
            Department("property-firm", "property_firm", wrong_returner),
            Department("housing", "government", slow_housing),
            Department("urban-management", "government"),
            Department("environment", "government"),
            Department("fire-safety", "government", absent),
            Department("heating-utility", "utility"),
        ),
        subjects={
            "property_management": (0.66, "property-firm", ("housing",)),
            "neighbour_dispute": (0.25, "street-office", ()),
            "noise": (0.03, "urban-management", ("environment",)),
            "illegal_construction": (0.02, "urban-management", ("housing",)),
            "fire_hazard": (0.01, "fire-safety", ("street-office",)),
            "heating": (0.02, "heating-utility", ()),
            "waste_sorting": (0.01, "urban-management", ()),
        },
        outcomes={"resolved_satisfied": 0.406, "satisfied_unresolved": 0.098, "resolved_unsatisfied": 0.005,
                  "neither": 0.014, "unresolvable": 0.477},
        unresolvable_reasons={"coordination_timeout": 0.237, "outside_remit": 0.145,
                              "beyond_grassroots_capacity": 0.095},
        recurring=(("noise", "Nanluoguxiang", 0.03),),
        planted={
            "slow_department": "housing",  # takes ~200 h to complete and ~30 h to respond (breaches the 24 h SLA)
            "wrong_returner": "property-firm",  # returns 35% of its offers as 'not_our_remit', wrongly
            "whistle_absentee": "fire-safety",  # misses half of the whistles it is summoned to
            "recurring_problem": "noise at Nanluoguxiang",
        },
    )
