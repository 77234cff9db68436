"""The what-if report as plain-text tables, for reading in a terminal."""
from __future__ import annotations

from collections.abc import Sequence

from jiesu_dispatch.whatif.compare import DEPARTMENT_COUNTS, STREET_COUNTS


def grid(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers], *[["" if v is None else str(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
             for row in cells]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def render(report: dict) -> str:  # type: ignore[type-arg]
    parts = [f"What if routing table {report['routing_version']} had been in force "
             f"({report['cases']} cases, {report['rule_decisions']} decisions by the rules "
             f"{', '.join(report['rules_in_force']) or 'none'}; received {_period(report.get('period') or {})})", "",
             "Per department", grid(["department", *DEPARTMENT_COUNTS],
                                    [[r["department"], *(r[k] for k in DEPARTMENT_COUNTS)]
                                     for r in report["departments"]]),
             "", "Per street", grid(["street", *STREET_COUNTS],
                                    [[r["street"], *(r[k] for k in STREET_COUNTS)] for r in report["streets"]]),
             "", "Offers that would have gone elsewhere (supporting: a blank side is an offer added or dropped)",
             grid(["role", "from", "to", "offers"], [[f["role"], f["from"], f["to"], f["offers"]]
                                                      for f in report["offers_moved"]]),
             "", f"Returns (退单) the new table would have avoided: {len(report['returns_avoided'])}"]
    if report["returns_avoided"]:
        parts.append(grid(["returned_at", "case_id", "task_id", "returned_by", "eventual_owner", "street"],
                          [[r["returned_at"], r["case_id"], r["task_id"], r["returned_by"], r["eventual_owner"],
                            r["street"]] for r in report["returns_avoided"]]))
    if report.get("problems"):
        parts += ["", f"{len(report['problems'])} record(s) could not be read; positions in the JSON report"]
    return "\n".join(parts)


def _period(period: dict) -> str:  # type: ignore[type-arg]
    return f"from {period.get('from') or 'the start'} to {period.get('to') or 'the end'}"
