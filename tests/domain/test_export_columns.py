"""Parquet's columns are made by whichever replay process is free: from the events whole (the reader) or from
their slim forms (the stager). Both must give the same columns, for every event type and for odd values."""
from __future__ import annotations

import json
from pathlib import Path

import orjson

from jiesu_audit.replay.columns import Envelopes, columns
from jiesu_audit.replay.slim import slim
from jiesu_audit.replay.staging import case_of

_GOLDEN = Path(__file__).parents[1] / "contract" / "golden"


def _docs() -> list[dict]:
    docs = [json.loads(p.read_text()) for p in sorted(_GOLDEN.glob("*.json"))]
    odd = dict(docs[0], id="odd-1", data={  # fields of the wrong kind, a place and a contact that are not objects
        "case_id": "c-1", "department_id": 7, "owner_department": "", "operator": None, "coordinator": ["x"],
        "task_id": 1.5, "role": True, "place": "Beixinqiao", "contact": ["cit-1"], "reason": {"why": "x"},
        "text": "kept in JSON Lines, not read here"})
    unplaced = dict(docs[0], id="odd-2", source="/jiesu/dispatch", data={
        "place": {"street": 3, "district": "Dongcheng", "grid": None}, "contact": {"citizen": 9}})
    return [*docs, odd, unplaced]


def test_the_columns_from_the_slim_forms_are_those_from_the_whole_events() -> None:
    docs = _docs()
    cases = [case_of(doc) for doc in docs]
    envelopes = Envelopes([0] * len(docs), list(range(len(docs))), [1_000_000 * i for i in range(len(docs))],
                          [int(doc["sequence"]) for doc in docs], [doc["correlationid"] for doc in docs],
                          [doc.get("causationid") for doc in docs],
                          [orjson.dumps(doc["data"], option=orjson.OPT_SORT_KEYS) for doc in docs])
    slims = [orjson.loads(orjson.dumps(slim(doc))) for doc in docs]  # as the stager has them
    whole, slimmed = columns(docs, cases, envelopes), columns(slims, cases, envelopes)
    assert slimmed.equals(whole)
    assert slimmed.num_rows == len(docs)
    odd = whole.slice(len(docs) - 2).to_pylist()
    assert [row["department"] for row in odd] == ["", None]  # an empty text is a text; a number is none
    assert [row["actor"] for row in odd] == [docs[0]["source"].rsplit("/", 1)[-1], "dispatch"]
    assert [(row["task_id"], row["role"], row["street"], row["district"], row["citizen"], row["reason"])
            for row in odd] == [(None, None, None, None, None, None), (None, None, None, "Dongcheng", None, None)]


def test_only_the_fresh_events_envelopes_are_kept() -> None:
    envelopes = Envelopes([0, 0, 0], [1, 2, 3], [10, 20, 30], [1, 2, 3], ["a", "b", "c"], [None, "a", "b"],
                          [b"{}", b'{"x":1}', b"{}"])
    assert envelopes.kept([True, False, True]) == Envelopes([0, 0], [1, 3], [10, 30], [1, 3], ["a", "c"],
                                                            [None, "b"], [b"{}", b"{}"])
