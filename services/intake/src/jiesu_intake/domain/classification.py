"""Classify a citizen's free text into subject, request type and urgency by configurable keyword rules.

Pure: the taxonomy is data (rules/taxonomy.json, or a file named in the settings). Every result says
which rule fired on which words, so an operator can see why, and a text no rule matches is kept as
`unclassified` for a person to triage — never rejected.
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass

from jiesu_shared.catalogue.intake import Classification, RuleMatch

UNCLASSIFIED = "unclassified"


@dataclass(frozen=True)
class Rule:
    value: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Subject:
    code: str
    name: str
    group: str
    description: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Taxonomy:
    version: str
    subjects: tuple[Subject, ...]  # in priority order: on a tie, the earlier subject wins
    request_types: tuple[Rule, ...]
    urgency: tuple[Rule, ...]

    @classmethod
    def from_json(cls, text: str) -> Taxonomy:
        raw = json.loads(text)
        subjects = tuple(Subject(code=s["code"], name=s["name"], group=s.get("group", ""),
                                 description=s.get("description", ""), keywords=tuple(s["keywords"]))
                         for s in raw["subjects"])
        return cls(version=raw["version"], subjects=subjects,
                   request_types=tuple(Rule(r["code"], tuple(r["keywords"])) for r in raw["request_types"]),
                   urgency=tuple(Rule(r["level"], tuple(r["keywords"])) for r in raw["urgency"]))

    def subject(self, code: str) -> Subject | None:
        return next((s for s in self.subjects if s.code == code), None)

    @functools.cached_property
    def indexes(self) -> _Indexes:
        """Built on first use, once per taxonomy (classification runs on every request)."""
        return _Indexes(subjects=_KeywordIndex(tuple(s.keywords for s in self.subjects)),
                        request_types=_KeywordIndex(tuple(r.keywords for r in self.request_types)),
                        urgency=_KeywordIndex(tuple(r.keywords for r in self.urgency)))


@dataclass(frozen=True)
class _Indexes:
    subjects: _KeywordIndex
    request_types: _KeywordIndex
    urgency: _KeywordIndex


@dataclass(frozen=True)
class Verdict:
    category: str
    request_type: str | None
    urgency: str
    classification: Classification


class _KeywordIndex:
    """Which keywords a text holds: Chinese ones as substrings, Latin-script ones as whole words.

    Every keyword of one aspect's rules in one list, in rule order and each rule's keyword order, so a
    text is searched in one pass (not a pass per rule) and each rule's finds come out in its own order."""

    def __init__(self, rules: tuple[tuple[str, ...], ...]) -> None:
        # A substring test first: it is cheap and rules out most keywords before any regex runs.
        self._finders = [(number, keyword, keyword.lower(), _whole_word(keyword.lower()) if keyword.isascii() else None)
                         for number, keywords in enumerate(rules) for keyword in keywords]

    def found(self, lowered: str) -> dict[int, list[str]]:
        """Rule number -> the keywords of that rule found in the lower-cased text (only rules with any)."""
        found: dict[int, list[str]] = {}
        for number, keyword, word, whole in self._finders:
            if word in lowered and (whole is None or whole.search(lowered)):
                found.setdefault(number, []).append(keyword)
        return found


@functools.lru_cache(maxsize=4096)
def _whole_word(word: str) -> re.Pattern[str]:
    """Compiled once per keyword: classification runs on every request."""
    return re.compile(rf"(?<![a-z]){re.escape(word)}(?![a-z])")


def _first_rule(aspect: str, rules: tuple[Rule, ...], index: _KeywordIndex, lowered: str,
                version: str) -> RuleMatch | None:
    found = index.found(lowered)
    if not found:
        return None
    first = min(found)
    return RuleMatch(aspect=aspect, rule_id=f"{version}/{aspect}/{rules[first].value}", value=rules[first].value,
                     matched=found[first])


def _best_subject(taxonomy: Taxonomy, lowered: str) -> RuleMatch | None:
    """The subject with the most keywords found; on a tie the earlier one."""
    found = taxonomy.indexes.subjects.found(lowered)
    if not found:
        return None
    best = min(found, key=lambda number: (-len(found[number]), number))
    subject = taxonomy.subjects[best]
    return RuleMatch(aspect="subject", rule_id=f"{taxonomy.version}/subject/{subject.code}", value=subject.code,
                     matched=found[best])


def classify(taxonomy: Taxonomy, text: str, *, category: str | None = None) -> Verdict:
    """Subject by the most keywords hit, request type and urgency by the first rule that fires.
    A `category` the caller already knows wins over the rules for the subject."""
    lowered = text.lower()
    subject = _best_subject(taxonomy, lowered)
    indexes = taxonomy.indexes
    kind = _first_rule("request_type", taxonomy.request_types, indexes.request_types, lowered, taxonomy.version)
    urgency = _first_rule("urgency", taxonomy.urgency, indexes.urgency, lowered, taxonomy.version)
    fired = [m for m in (subject, kind, urgency) if m is not None]
    if category is not None:
        classification = Classification(rule_id="client", by="client", taxonomy_version=taxonomy.version,
                                        rules=[m for m in fired if m.aspect != "subject"])
        chosen = category
    elif subject is None:
        classification = Classification(rule_id=f"{taxonomy.version}/{UNCLASSIFIED}", rules=fired,
                                        taxonomy_version=taxonomy.version)
        chosen = UNCLASSIFIED
    else:
        classification = Classification(rule_id=subject.rule_id, matched=subject.matched, rules=fired,
                                        taxonomy_version=taxonomy.version)
        chosen = subject.value
    return Verdict(category=chosen, request_type=kind.value if kind else None,
                   urgency=urgency.value if urgency else "normal", classification=classification)
