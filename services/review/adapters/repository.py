"""Reading and writing review's tables inside a unit of work: cases and their history,
similarity hints, pieces and issues, files on outcomes, and the directory's copy."""
from datetime import timedelta

from sqlalchemy import func, insert, or_, select, update

from minyi_common import officetime
from minyi_common.db import Repository, conflict_insert, decode_json, decoded

from .orm import (cases, handoff_attachments, handoffs, history, issues, outcome_attachments,
                  people, pieces, similarity_docs, similarity_hints, units)

JSON_FIELDS = ("co_author_ids", "decision", "edited", "outcomes", "declined_ids", "credited")


def case_from_row(row) -> dict:
    return decoded(row, *JSON_FIELDS)


def piece_from_row(row) -> dict:
    return decoded(row, "source_report_ids")


class ReviewRepository(Repository):
    # --- cases ---------------------------------------------------------------------
    def case(self, report_id: str, for_update: bool = False) -> dict | None:
        """A case; ``for_update`` holds its row until commit (outcomes and intake's events
        change a case that decisions change too)."""
        query = select(cases).where(cases.c.report_id == report_id)
        row = self.uow.execute(query.with_for_update() if for_update else query).first()
        return case_from_row(row) if row else None

    def cases_in_submission_order(self, report_ids) -> list:
        return [case_from_row(r) for r in self._all(
            select(cases).where(cases.c.report_id.in_(report_ids))
            .order_by(cases.c.submitted_at))]

    def make_cases(self, rows: list) -> set:
        """Insert the cases not there yet; the report ids of those this made."""
        return set(self.uow.execute(
            conflict_insert(self.uow.db, cases).on_conflict_do_nothing()
            .returning(cases.c.report_id), rows).scalars())

    def make_case(self, row: dict) -> bool:
        """Insert one case unless it is there; whether this made it."""
        made = self.uow.execute(conflict_insert(self.uow.db, cases).on_conflict_do_nothing(),
                                row)
        return bool(made.rowcount)

    def change_case(self, report_id: str, values: dict) -> None:
        self.uow.execute(update(cases).where(cases.c.report_id == report_id).values(**values))

    def change_case_at_version(self, case: dict, values: dict) -> bool:
        """Optimistic concurrency: of two editors deciding at once, one updates the row
        and the other finds the version moved on (False)."""
        changed = self.uow.execute(update(cases).where(
            cases.c.report_id == case["report_id"], cases.c.version == case["version"])
            .values(**values))
        return changed.rowcount == 1

    def pending(self, statuses, filters: dict, days: dict, page: int, page_size: int):
        """(total, one page of cases) waiting in ``statuses``, urgent then oldest first."""
        query = select(cases).where(cases.c.status.in_(statuses))
        for name in ("category", "unit_id"):
            if filters.get(name):
                query = query.where(getattr(cases.c, name) == filters[name])
        if filters.get("q"):
            # The words as typed: a % or _ in them is text, not a wildcard.
            query = query.where(or_(*[column.contains(filters["q"], autoescape=True)
                                      for column in (cases.c.title, cases.c.situation,
                                                     cases.c.analysis, cases.c.suggestions)]))
        if filters.get("urgent"):
            query = query.where(cases.c.urgent.is_(True))
        if days.get("submitted_from"):
            query = query.where(cases.c.submitted_at
                                >= officetime.start_of(days["submitted_from"]))
        if days.get("submitted_to"):
            query = query.where(cases.c.submitted_at < officetime.start_of(
                days["submitted_to"] + timedelta(days=1)))
        total = self.uow.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = self._all(query.order_by(cases.c.urgent.desc(), cases.c.submitted_at,
                                        cases.c.report_id)
                         .limit(page_size).offset((page - 1) * page_size))
        return total, [case_from_row(r) for r in rows]

    # --- history -------------------------------------------------------------------
    def add_history(self, *entries: dict) -> None:
        if entries:
            self.uow.execute(insert(history), list(entries))

    def history_of(self, report_id: str) -> list:
        return [dict(r._mapping) for r in self._all(
            select(history.c.at, history.c.actor_id, history.c.action, history.c.comment)
            .where(history.c.report_id == report_id).order_by(history.c.at, history.c.id))]

    # --- similarity ----------------------------------------------------------------
    def hints_for(self, report_ids) -> list:
        """(report, similar report, score, its title, its status) for each of these,
        read both ways round: a hint is stored on the report that came in second."""
        hint, similar = similarity_hints, cases.alias("similar")
        found = []
        for mine, theirs in ((hint.c.report_id, hint.c.similar_report_id),
                             (hint.c.similar_report_id, hint.c.report_id)):
            found += self._all(
                select(mine.label("mine"), theirs.label("theirs"), hint.c.score,
                       similar.c.title, similar.c.status)
                .join(similar, similar.c.report_id == theirs).where(mine.in_(report_ids)))
        return found

    def forget_hints(self, report_id: str) -> None:
        self.uow.execute(similarity_hints.delete().where(or_(
            similarity_hints.c.report_id == report_id,
            similarity_hints.c.similar_report_id == report_id)))

    def add_hints(self, rows: list) -> None:
        if rows:
            self.uow.execute(insert(similarity_hints), rows)

    def add_to_similarity_feed(self, docs: list) -> list:
        """Append (report id, sketch bytes) to the feed every instance's index catches
        up from; their seqs."""
        return list(self.uow.execute(
            insert(similarity_docs).returning(similarity_docs.c.seq),
            [{"report_id": report_id, "sketch": sketch} for report_id, sketch in docs]
        ).scalars())

    def similarity_feed_after(self, seq: int, limit: int) -> list:
        """(seq, report id, sketch) of the feed's next rows; sketch is None for rows
        from before sketches were kept."""
        return self._all(
            select(similarity_docs.c.seq, similarity_docs.c.report_id, similarity_docs.c.sketch)
            .where(similarity_docs.c.seq > seq).order_by(similarity_docs.c.seq).limit(limit))

    def texts_for_sketches(self, report_ids: list) -> list:
        return self._all(
            select(cases.c.report_id, cases.c.title, cases.c.situation, cases.c.analysis,
                   cases.c.suggestions).where(cases.c.report_id.in_(report_ids)))

    def keep_sketches(self, sketches: dict) -> None:
        for report_id, sketch in sketches.items():
            self.uow.execute(update(similarity_docs).where(
                similarity_docs.c.report_id == report_id).values(sketch=sketch))

    # --- pieces --------------------------------------------------------------------
    def add_piece(self, piece: dict) -> None:
        self.uow.execute(insert(pieces).values(**piece))

    def piece(self, piece_id: str, for_update: bool = False) -> dict | None:
        query = select(pieces).where(pieces.c.id == piece_id)
        row = self.uow.execute(query.with_for_update() if for_update else query).first()
        return piece_from_row(row) if row else None

    def mark_forwarded(self, piece_id: str, link_id: str, level: str) -> None:
        self.uow.execute(update(pieces).where(pieces.c.id == piece_id).values(
            forwarded_link_id=link_id, forwarded_level=level))

    def pieces_page(self, unassigned: bool, page: int, page_size: int):
        query = select(pieces)
        if unassigned:
            query = query.where(pieces.c.issue_id.is_(None))
        total = self.uow.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = self._all(query.order_by(pieces.c.created_at.desc()).limit(page_size)
                         .offset((page - 1) * page_size))
        return total, [piece_from_row(r) for r in rows]

    def pieces_of_issue(self, issue_id: str) -> list:
        return [piece_from_row(r) for r in self._all(
            select(pieces).where(pieces.c.issue_id == issue_id).order_by(pieces.c.position))]

    def issues_of_pieces(self, piece_ids) -> dict:
        """piece id -> the issue it is in (None), for those of ``piece_ids`` that exist."""
        return {r.id: r.issue_id for r in self._all(
            select(pieces.c.id, pieces.c.issue_id).where(pieces.c.id.in_(piece_ids)))}

    def last_position(self, issue_id: str) -> int:
        return self.uow.execute(select(func.max(pieces.c.position)).where(
            pieces.c.issue_id == issue_id)).scalar() or 0

    def place_piece(self, piece_id: str, issue_id: str | None, position: int | None) -> None:
        self.uow.execute(update(pieces).where(pieces.c.id == piece_id)
                         .values(issue_id=issue_id, position=position))

    def take_out_of_issue_all_but(self, issue_id: str, piece_ids) -> None:
        self.uow.execute(update(pieces).where(pieces.c.issue_id == issue_id,
                                              pieces.c.id.not_in(piece_ids or [""]))
                         .values(issue_id=None, position=None))

    # --- issues --------------------------------------------------------------------
    def issue(self, issue_id: str) -> dict | None:
        row = self.uow.execute(select(issues).where(issues.c.id == issue_id)).first()
        return dict(row._mapping) if row else None

    def issue_numbered(self, year: int, number: int) -> bool:
        return self.uow.execute(select(issues.c.id).where(
            issues.c.year == year, issues.c.number == number)).first() is not None

    def add_issue(self, row: dict) -> None:
        self.uow.execute(issues.insert().values(**row))

    def change_issue(self, issue_id: str, values: dict) -> None:
        self.uow.execute(update(issues).where(issues.c.id == issue_id).values(**values))

    def issues_up_to(self, year: int, number: int) -> int:
        """How many issues there are up to this one, itself included (总第M期)."""
        return self.uow.execute(select(func.count()).select_from(issues).where(
            (issues.c.year < year) | ((issues.c.year == year) & (issues.c.number <= number))
        )).scalar_one()

    def issues_page(self, page: int, page_size: int):
        total = self.uow.execute(select(func.count()).select_from(issues)).scalar_one()
        rows = self.uow.execute(select(issues).order_by(issues.c.year.desc(),
                                                        issues.c.number.desc())
                                .limit(page_size).offset((page - 1) * page_size)).mappings().all()
        return total, [dict(r) for r in rows]

    # --- files on outcomes -----------------------------------------------------------
    def add_outcome_file(self, row: dict) -> None:
        self.uow.execute(insert(outcome_attachments), row)

    def outcome_files(self, outcome_ids) -> list:
        if not outcome_ids:
            return []
        return [dict(r) for r in self.uow.execute(
            select(outcome_attachments).where(outcome_attachments.c.outcome_id.in_(outcome_ids))
            .order_by(outcome_attachments.c.created_at, outcome_attachments.c.id)).mappings()]

    # --- hand-offs -------------------------------------------------------------------
    def add_handoff(self, row: dict) -> bool:
        """Insert a hand-off unless the report already went to that unit; whether it did."""
        made = self.uow.execute(conflict_insert(self.uow.db, handoffs)
                                .on_conflict_do_nothing(), row)
        return bool(made.rowcount)

    def handoff(self, handoff_id: str) -> dict | None:
        row = self.uow.execute(select(handoffs).where(handoffs.c.id == handoff_id)).first()
        return dict(row._mapping) if row else None

    def handoffs_of(self, report_id: str) -> list:
        return [dict(r) for r in self.uow.execute(
            select(handoffs).where(handoffs.c.report_id == report_id)
            .order_by(handoffs.c.created_at, handoffs.c.id)).mappings()]

    def change_handoff_at_version(self, handoff: dict, values: dict) -> bool:
        """Of two replies or ratings written at once, one lands and the other finds the
        version moved on (False)."""
        changed = self.uow.execute(update(handoffs).where(
            handoffs.c.id == handoff["id"], handoffs.c.version == handoff["version"])
            .values(**values, version=handoff["version"] + 1))
        return changed.rowcount == 1

    def handoffs_page(self, filters: dict, today, page: int, page_size: int):
        """(total, one page of hand-offs), each with its case's text: soonest due first,
        replied ones after those still open."""
        query = select(handoffs, cases.c.title, cases.c.situation, cases.c.analysis,
                       cases.c.suggestions, cases.c.category, cases.c.status, cases.c.edited
                       ).join(cases, cases.c.report_id == handoffs.c.report_id)
        if filters.get("unit_ids") is not None:
            query = query.where(handoffs.c.unit_id.in_(filters["unit_ids"]))
        for name in ("unit_id", "report_id"):
            if filters.get(name):
                query = query.where(getattr(handoffs.c, name) == filters[name])
        if filters.get("open") or filters.get("overdue"):
            query = query.where(handoffs.c.replied_at.is_(None))
        if filters.get("overdue"):
            query = query.where(handoffs.c.due_on < today)
        total = self.uow.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        return total, self._all_decoded(
            query.order_by(handoffs.c.replied_at.is_not(None), handoffs.c.due_on,
                           handoffs.c.created_at, handoffs.c.id)
            .limit(page_size).offset((page - 1) * page_size), "edited")

    def handoffs_to_remind(self, today, soon_from, limit: int = 500) -> list:
        """Open hand-offs that owe a reminder: due within the next days (``soon_from`` is
        the last due date that counts as soon), or overdue."""
        return [dict(r) for r in self.uow.execute(
            select(handoffs).where(handoffs.c.replied_at.is_(None), or_(
                (handoffs.c.due_on <= soon_from) & handoffs.c.reminded_due_soon.is_(False)
                & (handoffs.c.due_on >= today),
                (handoffs.c.due_on < today) & handoffs.c.reminded_overdue.is_(False)))
            .order_by(handoffs.c.due_on, handoffs.c.id).limit(limit)).mappings()]

    def mark_reminded(self, handoff_id: str, reminder: str) -> bool:
        """Claim one reminder for this instance; False if another one sent it."""
        column = getattr(handoffs.c, f"reminded_{reminder}")
        values = {"reminded_due_soon": True, "reminded_overdue": True} \
            if reminder == "overdue" else {"reminded_due_soon": True}
        changed = self.uow.execute(update(handoffs).where(
            handoffs.c.id == handoff_id, column.is_(False)).values(**values))
        return changed.rowcount == 1

    def add_handoff_file(self, row: dict) -> None:
        self.uow.execute(insert(handoff_attachments), row)

    def handoff_files(self, handoff_ids) -> list:
        if not handoff_ids:
            return []
        return [dict(r) for r in self.uow.execute(
            select(handoff_attachments).where(handoff_attachments.c.handoff_id.in_(handoff_ids))
            .order_by(handoff_attachments.c.created_at, handoff_attachments.c.id)).mappings()]

    # --- the directory's copy ----------------------------------------------------------
    def unit(self, unit_id: str) -> dict | None:
        row = self.uow.execute(select(units).where(units.c.id == unit_id)).first()
        return dict(row._mapping) if row else None

    def people(self, person_ids) -> dict:
        """person id -> {display_name, roles, unit_ids} for those known."""
        return {r.id: {"display_name": r.display_name, "roles": decode_json(r.roles) or [],
                       "unit_ids": decode_json(r.unit_ids) or []}
                for r in self._all(select(people).where(people.c.id.in_(person_ids)))}
