"""The SLA-policy version dispatch stamps on each dispatch and offer: a hash of the whole policy, the same for the
same rules on any instance or restart, another as soon as any rule changes (JIESU_SLA_RULES between restarts)."""
from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

from jiesu_shared.catalogue import dispatch as d

from jiesu_dispatch.config import DispatchSettings
from jiesu_dispatch.domain.commands import BlowWhistle, blow_whistle
from jiesu_dispatch.domain.sla import SlaPolicy
from tests.domain.test_dispatch_givens import Story, received

EMERGENCY = [{"urgency": "emergency", "respond_within_hours": 2, "resolve_within_days": 1}]


def test_the_same_policy_has_the_same_version_and_any_changed_rule_another() -> None:
    default = SlaPolicy()
    assert re.fullmatch(r"sla-[0-9a-f]{12}", default.version)
    assert SlaPolicy().version == default.version == DispatchSettings(sla_rules=[]).sla_policy().version
    assert (DispatchSettings(sla_rules=EMERGENCY).sla_policy().version
            == SlaPolicy().with_overrides(EMERGENCY).version)
    changed = {
        SlaPolicy().with_overrides(EMERGENCY).version,
        SlaPolicy().with_overrides([{**EMERGENCY[0], "respond_within_hours": 3}]).version,
        SlaPolicy().with_overrides([{"category": "noise", "respond_within_hours": 2}]).version,
        SlaPolicy(respond_within=timedelta(hours=12)).version,
        SlaPolicy(warn_at=0.9).version,
        SlaPolicy(report_in_within=timedelta(minutes=15)).version,
    }
    assert len(changed) == 6 and default.version not in changed


def test_the_version_is_the_hash_of_the_policy_as_described() -> None:
    """A researcher can check a version against the policy dispatch logs at start-up."""
    policy = SlaPolicy().with_overrides(EMERGENCY)
    described = policy.described()
    assert described["respond_within_seconds"] == 86400 and described["overrides"] == [
        {"category": "*", "urgency": "emergency", "decide_within_seconds": 7200, "respond_within_seconds": 7200,
         "resolve_within_seconds": 86400, "report_in_within_seconds": 1800, "warn_at": 0.8}]
    canonical = json.dumps(described, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert policy.version == "sla-" + hashlib.sha256(canonical.encode()).hexdigest()[:12]


def test_each_dispatch_and_offer_carries_the_version_of_the_whole_policy_in_force() -> None:
    policy = SlaPolicy().with_overrides(EMERGENCY)
    story = Story(sla=policy)
    events = story.happen(received())
    story.happen(story.returned("urban-management"), minutes=5)  # re-routed: a new offer
    whistle = blow_whistle(story.state, "c1", BlowWhistle(street_office="street-office", summoned=("fire-safety",),
                                                          report_in_within=None, reason="a fire lane blocked",
                                                          coordinator="wang.li"), story.ctx(10))
    story.record(whistle)
    stamped = [e for e in story.history if isinstance(e, d.CaseDispatched | d.TaskOffered)]
    assert {type(e) for e in events} >= {d.CaseDispatched, d.TaskOffered}
    assert len(stamped) >= 5 and {e.sla_policy_version for e in stamped} == {policy.version}
    assert {e.kind for e in stamped if isinstance(e, d.TaskOffered)} == {"case", "whistle_report_in"}


def test_an_emergency_case_gets_the_overrides_deadlines_but_the_whole_policys_version() -> None:
    policy = SlaPolicy().with_overrides(EMERGENCY)
    story = Story(sla=policy)
    story.happen(received().model_copy(update={"urgency": "emergency"}))
    offer = story.task_of("urban-management")
    assert offer.respond_by - offer.decide_by == timedelta(hours=0)  # 2 h each: the override's clocks
    assert offer.sla_policy_version == policy.version != policy.for_case("illegal_construction", "emergency").version


def test_a_changed_policy_stamps_another_version() -> None:
    before, after = Story(), Story(sla=SlaPolicy().with_overrides(EMERGENCY))
    (dispatched_before, *_), (dispatched_after, *_) = before.happen(received()), after.happen(received())
    assert dispatched_before.sla_policy_version == SlaPolicy().version
    assert dispatched_after.sla_policy_version == SlaPolicy().with_overrides(EMERGENCY).version
    assert dispatched_before.sla_policy_version != dispatched_after.sla_policy_version
    assert before.task_of("housing").sla_policy_version != after.task_of("housing").sla_policy_version
