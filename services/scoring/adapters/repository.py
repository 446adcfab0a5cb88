"""Reading and writing scoring's tables inside a unit of work: rule sets, report records,
score lines, quarter totals and the standings read from them, quotas and reminders,
bulletins, adjustments and appeals, and the directory's copy."""
import io
from datetime import date
from decimal import Decimal

from sqlalchemy import (Text, and_, case, cast, delete, func, insert, or_, select, text,
                        update)

from minyi_common.words import NOT_A_REPORT_UNIT
from minyi_common.db import CONFLICT_INSERTS, Repository, decode_json, utcnow

from .. import domain
from .orm import (adjustments, appeals, bulletins, handoff_records, people, quarter_totals,
                  quota_reminders, quotas, report_records, rule_sets, score_lines, units)

LINE_COLUMNS = ("report_id", "subject_kind", "subject_id", "role", "event", "level", "mode",
                "points", "rule_version", "event_date")
# What the figures of a quarter are made from: (kind, subject id, event, date, points).
LINE_FACTS = (score_lines.c.subject_kind, score_lines.c.subject_id, score_lines.c.event,
              score_lines.c.event_date, score_lines.c.points)


def line_values(line: domain.ScoreLine) -> tuple:
    """A computed line in the order of ``LINE_COLUMNS``."""
    return (line.report_id, line.subject_kind, line.subject_id, line.role, line.event,
            line.level, line.mode, line.points, line.rule_version, line.on)


def record_from_row(row) -> domain.ReportRecord:
    """A stored report record (or one a batch holds in memory) as the domain reads it."""
    decision = decode_json(row.decision)
    if decision:
        decision = {**decision, "on": date.fromisoformat(decision["on"])}
    outcomes = {key: {**o, "date": date.fromisoformat(o["date"])}
                for key, o in (decode_json(row.outcomes) or {}).items()}
    return domain.ReportRecord(row.report_id, row.author_id, decode_json(row.co_author_ids),
                               row.unit_id, row.submitted_on, row.status, decision, outcomes)


def _figures_upsert(dialect_insert):
    # One prebuilt statement for every move of subjects' figures, values as parameters
    # (built per call, a sum expression per figure cost more than all the rest of an
    # event), executed once for all the rows a batch moves: each row is created with its
    # move, or the move is added to it; it answers the new points, which is what a person
    # is told.
    statement = dialect_insert(quarter_totals)
    return (statement.on_conflict_do_update(
        index_elements=[quarter_totals.c.subject_kind, quarter_totals.c.quarter,
                        quarter_totals.c.subject_id],
        set_={f: getattr(quarter_totals.c, f) + getattr(statement.excluded, f)
              for f in domain.FIGURES})
        .returning(quarter_totals.c.subject_kind, quarter_totals.c.subject_id,
                   quarter_totals.c.quarter, quarter_totals.c.points))


_ADD_TO_FIGURES = {dialect: _figures_upsert(dialect_insert)
                   for dialect, dialect_insert in CONFLICT_INSERTS.items()}


class ScoringRepository(Repository):
    # --- rule sets -----------------------------------------------------------------
    def rule_set_rows(self) -> list:
        """Every version as stored, oldest first (what admins read)."""
        return self._all_decoded(select(rule_sets).order_by(rule_sets.c.version), "rules")

    def rule_sets(self) -> list:
        """Every rule set as the domain applies it, read once per transaction (a batch of
        events shares them): a new rule set is followed by a rebuild, which waits for the
        transactions before it."""
        if "rule_sets" not in self.uow.memo:
            self.uow.memo["rule_sets"] = [
                domain.RuleSet(row.version, row.effective_from,
                               Decimal(str(row.coauthor_share)),
                               domain._rules((r["event"], r["level"], r.get("mode"),
                                              r["points"]) for r in decode_json(row.rules)))
                for row in self._all(select(rule_sets))]
        return self.uow.memo["rule_sets"]

    def last_rule_version(self) -> int:
        return self.uow.execute(select(func.max(rule_sets.c.version))).scalar() or 0

    def add_rule_set(self, row: dict) -> None:
        self.uow.execute(insert(rule_sets).values(**row))

    # --- report records --------------------------------------------------------------
    def records(self, report_ids) -> dict:
        """report id -> its stored record row, for those of ``report_ids`` stored."""
        return {row.report_id: row for row in self._all(
            select(report_records).where(report_records.c.report_id.in_(report_ids)))}

    def records_after(self, after: str, batch: int) -> list:
        """The next ``batch`` report records in id order (rebuild and check walk them all)."""
        return self._all(select(report_records).where(report_records.c.report_id > after)
                         .order_by(report_records.c.report_id).limit(batch))

    def add_records(self, rows: list) -> None:
        if rows:
            self.uow.execute(insert(report_records), rows)

    def change_record(self, report_id: str, values: dict):
        """Change a record; the row as it now stands."""
        return self.uow.execute(update(report_records).where(
            report_records.c.report_id == report_id).values(**values)
            .returning(*report_records.c)).one()

    def notable_records(self, start: date, end: date) -> list:
        """Records with a national adoption, or an instruction at province level or above,
        in the period (优秀社情民意信息), by date submitted."""
        notable = (select(score_lines.c.report_id).distinct()
                   .where(score_lines.c.event_date.between(start, end),
                          or_(and_(score_lines.c.event == "upstream_adopted",
                                   score_lines.c.level == "national"),
                              and_(score_lines.c.event == "instructed",
                                   score_lines.c.level.in_(["province", "national"])))))
        return self._all(select(report_records).where(report_records.c.report_id.in_(notable))
                         .order_by(report_records.c.submitted_on))

    # --- score lines -----------------------------------------------------------------
    def line_facts_of(self, report_ids) -> dict:
        """report id -> the facts of its stored lines (see ``LINE_FACTS``)."""
        found = {}
        if report_ids:
            for row in self._all(select(score_lines.c.report_id, *LINE_FACTS)
                                 .where(score_lines.c.report_id.in_(report_ids))):
                found.setdefault(row.report_id, []).append(tuple(row)[1:])
        return found

    def every_line_fact(self):
        return self.uow.execute(select(*LINE_FACTS))

    def lines_of(self, report_ids) -> dict:
        """report id -> its stored lines as tuples in the order of ``LINE_COLUMNS``."""
        found = {}
        for line in self._all(select(*[score_lines.c[c] for c in LINE_COLUMNS])
                              .where(score_lines.c.report_id.in_(report_ids))):
            found.setdefault(line.report_id, []).append(tuple(line))
        return found

    def lines_of_subject(self, kind: str, subject_id: str, start: date, end: date) -> list:
        return [dict(r) for r in self.uow.execute(select(score_lines).where(
            score_lines.c.subject_kind == kind, score_lines.c.subject_id == subject_id,
            score_lines.c.event_date.between(start, end))
            .order_by(score_lines.c.event_date, score_lines.c.id)).mappings()]

    def forget_lines_of(self, report_ids) -> None:
        if report_ids:
            self.uow.execute(delete(score_lines).where(score_lines.c.report_id.in_(report_ids)))

    def add_lines(self, lines) -> None:
        if not lines:
            return
        if len(lines) > 1000 and self._can_copy():
            self._copy_lines(lines)
            return
        self.uow.execute(insert(score_lines),
                         [dict(zip(LINE_COLUMNS, line_values(l))) for l in lines])

    def _can_copy(self) -> bool:
        """PostgreSQL's COPY, where psycopg2 allows it: not under eventlet's green wait
        callback (the rebuild command runs without it; the service's rebuild inserts)."""
        if self.uow.db.is_sqlite:
            return False
        import psycopg2.extensions
        return psycopg2.extensions.get_wait_callback() is None

    def _copy_lines(self, lines) -> None:
        def cell(value):
            return "\\N" if value is None else str(value)
        buffer = io.StringIO("".join("\t".join(cell(v) for v in line_values(l)) + "\n"
                                     for l in lines))
        cursor = self.uow.connection.connection.dbapi_connection.cursor()
        cursor.copy_expert(f"COPY score_lines ({', '.join(LINE_COLUMNS)}) FROM STDIN", buffer)

    def line_totals_by_kind(self) -> dict:
        """kind of subject -> {lines, points}: what a rebuild must leave unchanged."""
        rows = self._all(select(score_lines.c.subject_kind, func.count(),
                                func.sum(score_lines.c.points))
                         .group_by(score_lines.c.subject_kind))
        return {kind: {"lines": count, "points": float(points or 0)}
                for kind, count, points in rows}

    def office_counts(self, start: date, end: date, counted_events) -> dict:
        """event -> how many reports earned it in the period, by their author's line (once
        per report, not per co-author or unit)."""
        return dict(self._all(
            select(score_lines.c.event, func.count()).where(
                score_lines.c.role == "author", score_lines.c.event.in_(tuple(counted_events)),
                score_lines.c.event_date >= start, score_lines.c.event_date <= end)
            .group_by(score_lines.c.event)))

    def topic_counts(self, start: date, end: date) -> list:
        """Per topic (年度选题): reports on it submitted in the period and not withdrawn,
        and how many of them were adopted, most reports first."""
        adopted = func.sum(case((report_records.c.status == "adopted", 1), else_=0))
        return [{"topic_id": r.topic_id, "title": r.title, "submitted": r.submitted,
                 "adopted": int(r.adopted or 0)} for r in self._all(
            select(report_records.c.topic_id, func.max(report_records.c.topic_title)
                   .label("title"), func.count().label("submitted"), adopted.label("adopted"))
            .where(report_records.c.topic_id.is_not(None),
                   report_records.c.status != "withdrawn",
                   report_records.c.submitted_on >= start, report_records.c.submitted_on <= end)
            .group_by(report_records.c.topic_id)
            .order_by(func.count().desc(), func.max(report_records.c.topic_title)))]

    # --- hand-offs (转办) ----------------------------------------------------------------
    def handoff_record(self, handoff_id: str) -> dict | None:
        row = self.uow.execute(select(handoff_records).where(
            handoff_records.c.id == handoff_id).with_for_update()).first()
        return dict(row._mapping) if row else None

    def keep_handoff_record(self, row: dict, new: bool) -> None:
        if new:
            self.uow.execute(insert(handoff_records), row)
        else:
            self.uow.execute(update(handoff_records).where(handoff_records.c.id == row["id"])
                             .values(**row))

    def handoff_counts(self, start: date, end: date) -> dict:
        """Hand-offs made, first replied to, and rated (by rating) in the period."""
        def count(column, *more):
            return self.uow.execute(select(func.count()).select_from(handoff_records).where(
                column >= start, column <= end, *more)).scalar_one()
        found = {"handed_off": count(handoff_records.c.handed_on),
                 "replied": count(handoff_records.c.replied_on)}
        rated = dict(self._all(select(handoff_records.c.rating, func.count()).where(
            handoff_records.c.rated_on >= start, handoff_records.c.rated_on <= end)
            .group_by(handoff_records.c.rating)))
        for rating in ("satisfied", "basically_satisfied", "dissatisfied"):
            found[rating] = rated.get(rating, 0)
        return found

    # --- quarter totals ----------------------------------------------------------------
    def add_to_totals(self, deltas: dict) -> dict:
        """Add each of ``deltas`` ({(kind, subject id, quarter): {figure: change}}) to its
        quarter_totals row, in one statement; the new points of each row. Rows are changed
        in one order everywhere: two instances scoring reports of one author would
        otherwise deadlock on that author's and unit's rows."""
        if not deltas:
            return {}
        moves = [dict(subject_kind=kind, subject_id=subject_id, quarter=quarter, **deltas[key])
                 for key in sorted(deltas) for kind, subject_id, quarter in [key]]
        return {(row.subject_kind, row.subject_id, row.quarter): Decimal(str(row.points))
                for row in self.uow.execute(_ADD_TO_FIGURES[self.uow.db.engine.dialect.name],
                                            moves)}

    def hold_totals(self) -> None:
        """Until commit, nobody else changes quarter_totals."""
        if not self.uow.db.is_sqlite:
            # Recomputes that commit while a retotal runs wait for it, then apply their
            # delta to the new totals; none is lost or counted twice.
            self.uow.execute(text("LOCK TABLE quarter_totals IN EXCLUSIVE MODE"))

    def replace_totals(self, figures: dict) -> None:
        """Make quarter_totals exactly ``figures`` ({(kind, subject id, quarter): {figure:
        value}})."""
        self.uow.execute(delete(quarter_totals))
        rows = [{"subject_kind": kind, "subject_id": sid, "quarter": quarter, **values}
                for (kind, sid, quarter), values in figures.items()]
        for start in range(0, len(rows), 10_000):
            self.uow.execute(insert(quarter_totals), rows[start:start + 10_000])

    def every_total(self) -> dict:
        return {(r.subject_kind, r.subject_id, r.quarter):
                {f: getattr(r, f) for f in domain.FIGURES}
                for r in self._all(select(quarter_totals))}

    # --- standings -----------------------------------------------------------------
    @staticmethod
    def _figures(kind: str, keys: list):
        """Each subject's figures for the period, from the totals: a quarter's or a year's
        rows as they are (the common cases, and a plain join), longer periods summed."""
        if len(keys) == 1:
            return (select(quarter_totals.c.subject_id.label("sid"),
                           *[getattr(quarter_totals.c, f) for f in domain.FIGURES])
                    .where(quarter_totals.c.subject_kind == kind,
                           quarter_totals.c.quarter == keys[0]).subquery())
        return (select(quarter_totals.c.subject_id.label("sid"),
                       *[func.sum(getattr(quarter_totals.c, f)).label(f)
                         for f in domain.FIGURES])
                .where(quarter_totals.c.subject_kind == kind,
                       quarter_totals.c.quarter.in_(keys))
                .group_by(quarter_totals.c.subject_id).subquery())

    @staticmethod
    def _subjects(kind: str, role: str | None):
        """Who is ranked: every unit, or every active member/officer."""
        if kind == "unit":
            # A government department takes hand-offs; no report counts for it.
            return units, units.c.name, units.c.kind.not_in(NOT_A_REPORT_UNIT)
        who = people.c.active.is_(True)
        if role == "member":
            return people, people.c.display_name, and_(who, people.c.is_member.is_(True))
        if role == "officer":
            return people, people.c.display_name, and_(who, people.c.is_officer.is_(True))
        return people, people.c.display_name, and_(who, or_(people.c.is_member.is_(True),
                                                            people.c.is_officer.is_(True)))

    def _standing(self, kind: str, period: str, role=None, *more):
        """(query, whose rows and how much they have): the subjects of ``role`` in order
        of points with their figures (zeros for those with nothing), and ``more`` of
        their columns."""
        figures = self._figures(kind, domain.period_keys(period))
        base, name, who = self._subjects(kind, role)
        joined = base.outerjoin(figures, figures.c.sid == base.c.id)
        points = func.coalesce(figures.c.points, 0)
        query = (select(base.c.id, name.label("name"),
                        *[func.coalesce(getattr(figures.c, f), 0).label(f)
                          for f in domain.FIGURES[1:]], points.label("points"), *more)
                 .select_from(joined).where(who).order_by(points.desc(), name, base.c.id))
        return query, select(points, func.count()).select_from(joined).where(who).group_by(points)

    def ranked(self, kind: str, period: str, role=None, limit=None, offset=0) -> tuple:
        """(rows, total): the subjects in order of points with their figures and rank
        (ties share a rank); those with nothing are there too, with zeros.

        Ranks come from a histogram of points rather than a window over every subject,
        so that a page costs a top-N sort and one small aggregate.
        """
        query, histogram = self._standing(kind, period, role)
        if limit is not None:
            query = query.limit(limit).offset(offset)
        rows = [{**dict(r._mapping), "points": float(Decimal(str(r.points)))}
                for r in self.uow.execute(query)]
        histogram = [(float(Decimal(str(p))), n) for p, n in self.uow.execute(histogram)]
        return domain.rank_by_histogram(rows, histogram)

    def everyone_ranked(self, kind: str, period: str) -> list:
        """Every subject in order of points with figures and rank, in one read: a
        bulletin's tables. People come with their roles and unit ids, so that officers
        and members are ranked among themselves from these rows (``rerank``)."""
        # Unit ids come as text and are decoded once per distinct list: a province's
        # 100,000 members belong to a few thousand combinations of units.
        more = (units.c.kind,) if kind == "unit" else (
            people.c.is_member, people.c.is_officer,
            cast(people.c.unit_ids, Text).label("unit_ids"))
        result = self.uow.execute(self._standing(kind, period, None, *more)[0])
        keys = list(result.keys())
        rows = [dict(zip(keys, row)) for row in result]  # a million Row objects are slow
        decoded = {}
        for row in rows:
            row["points"] = float(row["points"])
            if kind != "unit":
                text_ids = row["unit_ids"]
                if text_ids not in decoded:
                    decoded[text_ids] = decode_json(text_ids) or []
                row["unit_ids"] = decoded[text_ids]
        return domain.rerank(rows, in_place=True)

    # --- quotas and reminders ------------------------------------------------------------
    def quotas_for(self, year: int) -> dict:
        """role -> reports owed in ``year``: the year's own figure, else the default
        (stored as year 0)."""
        found = {}
        for row in self._all(select(quotas).where(quotas.c.year.in_([0, year]))
                             .order_by(quotas.c.year)):
            found[row.role] = row.count
        return found

    def default_quota(self, role: str) -> int | None:
        row = self.uow.execute(select(quotas.c.count).where(quotas.c.role == role,
                                                            quotas.c.year == 0)).first()
        return row.count if row else None

    def set_quota(self, role: str, year: int, count: int) -> None:
        self.uow.execute(quotas.delete().where(quotas.c.role == role, quotas.c.year == year))
        self.uow.execute(insert(quotas).values(role=role, year=year, count=count))

    def submissions_by_writer(self, start: date, upto: date) -> list:
        """Every active member and officer, by name, with the reports they submitted
        between the two days (withdrawn ones not counted)."""
        submitted = (select(report_records.c.author_id.label("sid"), func.count().label("n"))
                     .where(report_records.c.submitted_on.between(start, upto),
                            report_records.c.status != "withdrawn")
                     .group_by(report_records.c.author_id).subquery())
        return [{"id": row.id, "display_name": row.display_name,
                 "is_member": row.is_member, "is_officer": row.is_officer,
                 "unit_ids": decode_json(row.unit_ids), "submitted": row.submitted}
                for row in self._all(
                    select(people.c.id, people.c.display_name, people.c.is_member,
                           people.c.is_officer, people.c.unit_ids,
                           func.coalesce(submitted.c.n, 0).label("submitted"))
                    .select_from(people.outerjoin(submitted, submitted.c.sid == people.c.id))
                    .where(people.c.active.is_(True),
                           or_(people.c.is_member.is_(True), people.c.is_officer.is_(True)))
                    .order_by(people.c.display_name, people.c.id))]

    def reminded_in(self, quarter: str) -> set:
        return {r.person_id for r in self._all(
            select(quota_reminders.c.person_id).where(quota_reminders.c.quarter == quarter))}

    def add_reminder(self, person_id: str, quarter: str) -> None:
        self.uow.execute(insert(quota_reminders).values(person_id=person_id, quarter=quarter,
                                                        sent_at=utcnow()))

    # --- bulletins -----------------------------------------------------------------
    def bulletins_newest_first(self) -> list:
        return self._all(select(bulletins).order_by(bulletins.c.published_at.desc()))

    def bulletin(self, period: str):
        return self.uow.execute(select(bulletins).where(bulletins.c.period == period)).first()

    def add_bulletin(self, period: str, published_by: str) -> None:
        self.uow.execute(insert(bulletins).values(period=period, published_at=utcnow(),
                                                  published_by=published_by))

    # --- the directory's copy ----------------------------------------------------------
    def units_by_id(self) -> dict:
        """unit id -> (id, name, kind)."""
        return {r.id: r for r in self._all(select(units.c.id, units.c.name, units.c.kind))}

    def has_unit(self, unit_id: str) -> bool:
        return self.uow.execute(select(units.c.id).where(units.c.id == unit_id)).first() \
            is not None

    def unit_ids_of_everyone(self) -> dict:
        return {r.id: decode_json(r.unit_ids) or [] for r in self._all(
            select(people.c.id, people.c.unit_ids))}

    def unit_ids_of(self, person_id: str) -> list | None:
        row = self.uow.execute(select(people.c.unit_ids).where(people.c.id == person_id)).first()
        return decode_json(row.unit_ids) if row else None

    def person_row(self, person_id: str):
        return self.uow.execute(select(people).where(people.c.id == person_id)).first()

    def people_rows(self, person_ids) -> dict:
        if not person_ids:
            return {}
        return {r.id: r for r in self._all(select(people).where(people.c.id.in_(person_ids)))}

    def display_names(self, person_ids) -> dict:
        """person id -> display name, of those the directory's copy knows."""
        if not person_ids:
            return {}
        return dict(self._all(select(people.c.id, people.c.display_name).where(
            people.c.id.in_(list(set(person_ids))))))

    def is_active_person(self, person_id: str) -> bool:
        return self.uow.execute(select(people.c.id).where(
            people.c.id == person_id, people.c.active)).first() is not None

    # --- adjustments and appeals ---------------------------------------------------------
    def add_adjustment(self, row: dict) -> None:
        self.uow.execute(insert(adjustments).values(**row))

    def adjustment_reasons(self, adjustment_ids) -> dict:
        """adjustment id -> its reason."""
        if not adjustment_ids:
            return {}
        return dict(self._all(select(adjustments.c.id, adjustments.c.reason).where(
            adjustments.c.id.in_(list(adjustment_ids)))))

    def adjustments_and_their_lines(self) -> tuple:
        """({id: adjustment row}, {id: its score line}) of every adjustment."""
        rows = {r.id: r for r in self._all(select(adjustments))}
        lines = {r.report_id: r for r in self._all(select(score_lines).where(
            score_lines.c.event == domain.ADJUSTMENT))}
        return rows, lines

    def appeal_exists(self, appeal_id: str) -> bool:
        return self.uow.execute(select(appeals.c.id).where(appeals.c.id == appeal_id)) \
            .first() is not None

    def latest_appeals(self, person_id: str) -> dict:
        """line key -> the person's latest appeal of it {id, status, comment}."""
        return {r.line_key: {"id": r.id, "status": r.status, "comment": r.comment}
                for r in self._all(select(appeals.c.id, appeals.c.line_key, appeals.c.status,
                                          appeals.c.comment)
                                   .where(appeals.c.person_id == person_id)
                                   .order_by(appeals.c.created_at))}

    def has_open_appeal(self, line_key: str) -> bool:
        return self.uow.execute(select(appeals.c.id).where(
            appeals.c.line_key == line_key, appeals.c.status == "open")).first() is not None

    def add_appeal(self, row: dict) -> None:
        self.uow.execute(insert(appeals).values(**row))

    def appeal_for_update(self, appeal_id: str):
        return self.uow.execute(select(appeals).where(appeals.c.id == appeal_id)
                                .with_for_update()).first()

    def close_appeal(self, appeal_id: str, **values) -> bool:
        """Whether this call closed it (an open appeal is closed once)."""
        return self.uow.execute(update(appeals).where(
            appeals.c.id == appeal_id, appeals.c.status == "open").values(**values)) \
            .rowcount == 1

    def appeals_page(self, person_id: str | None, status: str | None, page: int,
                     page_size: int, appeal_id: str | None = None) -> tuple:
        """(rows with the person's display name, total), newest first."""
        where = []
        if person_id:
            where.append(appeals.c.person_id == person_id)
        if status:
            where.append(appeals.c.status == status)
        if appeal_id:
            where.append(appeals.c.id == appeal_id)
        total = self.uow.execute(select(func.count()).select_from(appeals).where(*where)) \
            .scalar_one()
        rows = self._all(select(appeals, people.c.display_name.label("person_name"))
                         .select_from(appeals.outerjoin(people,
                                                        people.c.id == appeals.c.person_id))
                         .where(*where).order_by(appeals.c.created_at.desc(), appeals.c.id)
                         .limit(page_size).offset((page - 1) * page_size))
        return rows, total
