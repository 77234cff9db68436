"""The statistics behind research-grade rankings: a Wilson interval for each rate, a bootstrap interval for
the composite, and a one-way decomposition of a measure's variance into between and within groups.

Pure functions over counts; scipy.special supplies the normal, t and F distributions (the functions
scipy.stats calls, without the 78 MiB that importing scipy.stats costs every audit process), numpy the
bootstrap's draws. Neither is imported at start: an audit catching up on the log (whose memory must stay under
300 MiB) has no use for them. Once caught up they are imported if the memory leaves room
(`import_when_there_is_room`), else when first asked for.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


_BUDGET_MIB = 300  # audit's memory goal (issue 14), whatever the log's size
_THEIR_SHARE_MIB = 40  # numpy and scipy.special add ~28 MiB of RSS when imported


def import_when_there_is_room() -> bool:
    """Import numpy and scipy.special now, once caught up, if the process's memory leaves room for them under the
    budget, so that the first ranking does not pay for them (~0.45 s of CPU). After a whole catch-up of a large
    log there is none (~285 MiB at a million cases): the first ranking or recurring problem imports them then.
    Nothing changes in any answer: these are the modules the questions import anyway."""
    resident = _resident_mib()
    if resident is None or resident + _THEIR_SHARE_MIB > _BUDGET_MIB:
        return False
    import numpy  # noqa: F401
    from scipy import special  # noqa: F401
    return True


def _resident_mib() -> float | None:
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))
    except (OSError, StopIteration, ValueError):  # not Linux: not known, so not risked
        return None


def wilson(successes: float, n: int, confidence: float = 0.95) -> tuple[float, float] | None:
    """Wilson's score interval for a proportion. `successes` may be fractional (scores such as 0.8 for
    "basically satisfied"): for scores in [0, 1] the variance of one score is at most p(1-p), so the
    interval is then conservative. (scipy's binomtest gives the same interval for whole successes; it
    refuses fractional ones, hence the formula.)"""
    if n <= 0:
        return None
    from scipy import special

    z = float(special.ndtri(1 - (1 - confidence) / 2))
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return round(max(0.0, centre - half), 6), round(min(1.0, centre + half), 6)


def composite_interval(tallies: Mapping[str, Mapping[float, int]], weights: Mapping[str, float], *,
                       confidence: float = 0.95, resamples: int = 2000, seed: int = 15) -> tuple[float, float] | None:
    """A percentile bootstrap interval for the weighted mean of the rates, each rate's scores (`tallies`: how
    many times each score was given) resampled on their own (they are different events: responses and
    call-backs), weights renormalised over the rates present as the composite does. None when a rate present
    has fewer than two scores to resample.

    Drawing n scores with replacement from a multiset of k distinct scores is drawing how often each is drawn,
    a multinomial with the scores' shares: the same distribution as resampling the n scores one by one, at
    O(resamples × k) instead of O(resamples × n), so a unit of a million scores costs what one of ten does."""
    present = [r for r, counted in tallies.items() if sum(counted.values()) and weights.get(r)]
    if not present or any(sum(tallies[r].values()) < 2 for r in present):
        return None
    import numpy as np

    w = np.array([weights[r] for r in present], dtype=float)
    w /= w.sum()
    rng = np.random.default_rng(seed)
    estimates = np.zeros(resamples)
    for weight, rate in zip(w, present):
        scores, times = zip(*sorted(tallies[rate].items()))
        counts = np.array(times, dtype=np.int64)
        n = int(counts.sum())
        drawn = rng.multinomial(n, counts / n, size=resamples)  # (resamples, k): how often each score was drawn
        estimates += weight * (drawn @ np.array(scores, dtype=float)) / n
    alpha = (1 - confidence) / 2
    low, high = np.percentile(estimates, [100 * alpha, 100 * (1 - alpha)])  # as scipy's percentile method
    return round(float(low), 6), round(float(high), 6)


@dataclass(frozen=True)
class Group:
    name: str
    count: int
    mean: float
    within_ss: float  # the sum of squared deviations from the group's own mean


def decomposition(groups: Sequence[Group], *, confidence: float = 0.95, unit: float = 1.0) -> dict[str, Any]:
    """Total variation = between groups + within groups (one-way ANOVA), with the F test of equal means.
    `unit` divides every value (3600 turns seconds into hours)."""
    groups = [g for g in groups if g.count > 0]
    n, k = sum(g.count for g in groups), len(groups)
    if n == 0:
        return {"count": 0, "groups": 0, "streets": []}
    grand = sum(g.count * g.mean for g in groups) / n
    between = sum(g.count * (g.mean - grand) ** 2 for g in groups)
    within = sum(g.within_ss for g in groups)
    total = between + within
    f, p = _f_test(between, within, n, k)
    return {"count": n, "groups": k, "grand_mean": _r(grand / unit), "total_ss": _r(total / unit**2),
            "between_ss": _r(between / unit**2), "within_ss": _r(within / unit**2),
            "between_share": _r(between / total) if total else None, "f_statistic": f, "p_value": p,
            "degrees_of_freedom": [k - 1, n - k],
            "streets": [_group_row(g, confidence, unit) for g in sorted(groups, key=lambda g: (-g.mean, g.name))]}


def _f_test(between: float, within: float, n: int, k: int) -> tuple[float | None, float | None]:
    if k < 2 or n <= k or within <= 0:
        return None, None
    from scipy import special

    f = (between / (k - 1)) / (within / (n - k))
    return _r(f), float(special.fdtrc(k - 1, n - k, f))


def _group_row(g: Group, confidence: float, unit: float) -> dict[str, Any]:
    sd = math.sqrt(g.within_ss / (g.count - 1)) if g.count > 1 else None
    interval = None
    if sd is not None:
        from scipy import special

        half = float(special.stdtrit(g.count - 1, 1 - (1 - confidence) / 2)) * sd / math.sqrt(g.count)
        interval = [_r((g.mean - half) / unit), _r((g.mean + half) / unit)]
    return {"street": g.name, "count": g.count, "mean": _r(g.mean / unit),
            "sd": _r(sd / unit) if sd is not None else None, "mean_interval": interval}


def _r(value: float) -> float:
    return round(value, 6)
