"""Recomputing every report's lines from its stored record (after a new rule set, or by
hand), and proving the stored lines and totals equal such a recomputation."""
from decimal import Decimal

from minyi_common.db import lock

from .. import domain
from ..adapters.repository import (LINE_COLUMNS, ScoringRepository, line_values,
                                   record_from_row)
from .adjustments import adjustments_drifted
from .records import REBUILD_KEY


def _next_batch(repo, after: str, batch: int) -> tuple:
    """(rule sets, the next ``batch`` records after report id ``after``, their ids)."""
    rows = repo.records_after(after, batch)
    return repo.rule_sets(), rows, [r.report_id for r in rows]


def rebuild(db, own_level: str, batch: int = 2000, pause=lambda: None) -> int:
    """Recompute every report's lines from its stored record, a batch per transaction.
    Emits nothing: the points are the ones people were told already, or a rule change's."""
    done, after = 0, ""
    while True:
        with db.unit_of_work() as uow:
            # Waits for the event handlers at work and holds new ones off for one batch;
            # a second rebuild (another instance) takes turns batch by batch.
            lock(uow, REBUILD_KEY)
            repo = ScoringRepository(uow)
            rule_sets, rows, ids = _next_batch(repo, after, batch)
            if not rows:
                break
            repo.forget_lines_of(ids)
            repo.add_lines([line for r in rows for line in
                            domain.score_lines(record_from_row(r), rule_sets, own_level)])
            uow.commit()
        done += len(rows)
        after = ids[-1]
        pause()
    _retotal(db)
    return done


def _retotal(db) -> None:
    """Rebuild quarter_totals from every line (after a rebuild)."""
    with db.unit_of_work() as uow:
        # No event handler is between reading and writing its lines while this runs.
        lock(uow, REBUILD_KEY)
        repo = ScoringRepository(uow)
        repo.hold_totals()
        repo.replace_totals(domain.quarter_figures(repo.every_line_fact()))
        uow.commit()


def check(db, own_level: str, batch: int = 2000) -> dict:
    """Prove the stored lines and quarter totals equal a recomputation from the records
    (docs/architecture.md), changing nothing: the reports whose lines differ, and the
    subjects and quarters whose totals differ from their lines."""
    drifted, checked, after = [], 0, ""
    while True:
        with db.unit_of_work(read_only=True) as uow:
            repo = ScoringRepository(uow)
            rule_sets, rows, ids = _next_batch(repo, after, batch)
            if not rows:
                break
            stored = {report_id: [_comparable(line) for line in lines]
                      for report_id, lines in repo.lines_of(ids).items()}
        for row in rows:
            expected = sorted(_comparable(line_values(line)) for line in
                              domain.score_lines(record_from_row(row), rule_sets, own_level))
            if sorted(stored.get(row.report_id, [])) != expected:
                drifted.append(row.report_id)
        checked += len(rows)
        after = ids[-1]
    with db.unit_of_work(read_only=True) as uow:
        repo = ScoringRepository(uow)
        figures = domain.quarter_figures(repo.every_line_fact())
        kept = repo.every_total()
    zero = {f: 0 for f in domain.FIGURES}
    totals_drift = sorted(f"{k[0]}:{k[1]}:{k[2]}" for k in set(figures) | set(kept)
                          if _figures(figures.get(k, zero)) != _figures(kept.get(k, zero)))
    # Adjustments are lines no rule computes: each must equal its adjustment row.
    drifted_adjustments = adjustments_drifted(db)
    return {"reports_checked": checked, "drifted_reports": drifted,
            "drifted_totals": totals_drift, "drifted_adjustments": drifted_adjustments,
            "ok": not drifted and not totals_drift and not drifted_adjustments}


def _comparable(line: tuple) -> tuple:
    """A line as stored or as computed, in one form (Decimal points, ISO dates)."""
    values = dict(zip(LINE_COLUMNS, line))
    values["points"] = str(Decimal(str(values["points"])).quantize(Decimal("0.01")))
    values["event_date"] = str(values["event_date"])
    return tuple(values[c] if values[c] is not None else "" for c in LINE_COLUMNS)


def _figures(values: dict) -> tuple:
    return tuple(str(Decimal(str(values[f])).quantize(Decimal("0.01"))) for f in domain.FIGURES)


def totals(db) -> dict:
    """What a rebuild must leave unchanged: line count and points per kind of subject."""
    with db.unit_of_work() as uow:
        return ScoringRepository(uow).line_totals_by_kind()
