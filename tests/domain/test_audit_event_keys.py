"""While a fresh catch-up runs without the timeline's unique index, a case's history tells its duplicates by
the keys of the events it folded: whole keys only, never one made of the end of a key and the start of the
next; and the keys are dropped at the case's next write once the index is back."""
from __future__ import annotations

from jiesu_audit.domain.history import KEY_BYTES, CaseHistory
from jiesu_audit.readmodel.state_blob import dump_state, load_state


def test_a_history_has_seen_the_keys_it_saw_and_no_key_straddling_two() -> None:
    history = CaseHistory("c1")
    first, second = bytes(range(KEY_BYTES)), bytes(range(100, 100 + KEY_BYTES))
    history.saw(first)
    history.saw(second)
    straddling = first[KEY_BYTES // 2:] + second[:KEY_BYTES // 2]
    assert history.seen(first) and history.seen(second)
    assert not history.seen(straddling)


def test_a_key_found_straddling_first_is_still_found_whole_later() -> None:
    history = CaseHistory("c1")
    key = bytes([7] * KEY_BYTES)
    history.saw(bytes([1] * (KEY_BYTES - 1) + [7]))  # ends with the key's first byte
    history.saw(bytes([7] * (KEY_BYTES - 1) + [2]))  # so the key matches across the two first
    assert not history.seen(key)
    history.saw(key)
    assert history.seen(key)


def test_the_keys_go_to_the_row_and_back_and_do_not_make_two_histories_differ() -> None:
    history = CaseHistory("c1")
    history.saw(bytes(KEY_BYTES))
    again = load_state(dump_state(history))
    assert again.seen(bytes(KEY_BYTES)) and again == CaseHistory("c1")
