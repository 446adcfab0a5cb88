"""Reading and writing intake's tables inside a unit of work."""
import functools
import re
from datetime import timedelta

from sqlalchemy import bindparam, delete, func, insert, or_, select, update

from minyi_common import officetime
from minyi_common.db import Repository, conflict_insert, decode_json, utcnow

from .orm import (co_author_declines, idempotency_keys, people, report_attachments,
                  report_co_authors, report_history, reports, topics, units)


# What a report's history shows of each entry.
HISTORY_FIELDS = (report_history.c.at, report_history.c.actor_id, report_history.c.action,
                  report_history.c.comment)


@functools.lru_cache(maxsize=16)
def _new_report(columns: frozenset, outbox, with_event: bool):
    """PostgreSQL: INSERT a report (``columns``) RETURNING it, with its first history
    entry and, ``with_event``, its outbox row, as data-modifying CTEs of one statement.
    Built once per shape, its values as parameters (report_*, entry_*, event_*)."""
    def values(table, prefix, names):
        return {n: bindparam(f"{prefix}_{n}", type_=table.c[n].type) for n in names}
    report = (insert(reports).values(values(reports, "report", sorted(columns)))
              .returning(*reports.c).cte("new_report"))
    entry = insert(report_history).values(
        report_id=bindparam("report_id", type_=report_history.c.report_id.type),  # its id
        **values(report_history, "entry", ("at", "actor_id", "action", "comment")))
    statement = select(report).add_cte(entry.cte("first_entry"))
    if with_event:
        statement = statement.add_cte(insert(outbox).values(values(
            outbox, "event", ("event_id", "event_type", "body", "created_at"))).cte("event"))
    return statement


# Words with a trigram the index holds: three letters, digits or characters in a row.
TRIGRAM = re.compile(r"[^\W_]{3}")


def _whole_text(columns):
    """What a search looks in: a report's whole text. On PostgreSQL the trigram index
    ix_reports_searched holds this very expression (its migration spells it out)."""
    return (columns.title + " " + columns.situation + " " + columns.analysis + " "
            + columns.suggestions)


class IntakeRepository(Repository):
    SEARCH_COUNT_LIMIT = 1000  # a search counts its matches up to this many
    SEARCH_WINDOW = 5000  # the newest reports a search looks through first

    # --- reports -------------------------------------------------------------------
    def add(self, report: dict, first_action: str, actor_id, event=None) -> dict:
        """Store a new report with its first history entry, and ``event`` in the outbox;
        the report as ``get`` with history reads it, from what the database returned (no
        second read)."""
        row, first = self._new_rows(report, first_action, actor_id)
        if self.uow.db.is_sqlite:
            stored = self.uow.execute(insert(reports).returning(*reports.c), row).mappings().one()
            self.uow.execute(insert(report_history), dict(report_id=report["id"], **first))
            if event is not None:
                self.uow.emit(event)
        else:
            # The report, its first entry and its event in one statement: one round trip
            # instead of three, for every report submitted.
            params = {f"report_{k}": v for k, v in row.items()} | {
                f"entry_{k}": v for k, v in first.items()}
            if event is not None:
                params |= {f"event_{k}": v for k, v in self.uow.outbox_row(event).items()}
            statement = _new_report(frozenset(row), self.uow.db.outbox, event is not None)
            stored = self.uow.execute(statement, params).mappings().one()
        self._insert_co_authors(report["id"], report["co_author_ids"])
        return self._as_added(stored, report, first)

    @staticmethod
    def _new_rows(report: dict, first_action: str, actor_id) -> tuple:
        """A new report's row of ``reports`` and its first history entry."""
        row = {k: v for k, v in report.items() if k not in ("co_author_ids", "history")}
        return row, dict(at=report["created_at"], actor_id=actor_id, action=first_action,
                         comment=None)

    def _as_added(self, stored, report: dict, first: dict) -> dict:
        """A report just stored as ``get`` with history reads it, from what the database
        returned (no second read)."""
        return {**self._decoded(dict(stored)), "co_author_ids": list(report["co_author_ids"]),
                "history": [first]}

    def add_many(self, entries) -> list:
        """``add`` for many reports (each (report, first action, actor id, event)): one
        statement per table for all of them, as a gathered batch of submissions is
        stored; each report as ``add`` answers it, in order."""
        if not entries:
            return []
        rows, firsts = zip(*(self._new_rows(report, action, actor_id)
                             for report, action, actor_id, _ in entries))
        if len({frozenset(row) for row in rows}) > 1:  # not one shape: one by one
            return [self.add(*entry) for entry in entries]
        stored = self.uow.execute(
            insert(reports).returning(*reports.c, sort_by_parameter_order=True),
            list(rows)).mappings().all()
        self.uow.execute(insert(report_history), [
            dict(report_id=report["id"], **first)
            for (report, *_), first in zip(entries, firsts)])
        outbox_rows = [self.uow.outbox_row(event) for *_, event in entries if event is not None]
        if outbox_rows:
            self.uow.execute(insert(self.uow.db.outbox), outbox_rows)
        for report, *_ in entries:
            self._insert_co_authors(report["id"], report["co_author_ids"])
        return [self._as_added(row, report, first)
                for row, (report, *_), first in zip(stored, entries, firsts)]

    def _set_co_authors(self, report_id: str, co_author_ids) -> None:
        self.uow.execute(delete(report_co_authors).where(
            report_co_authors.c.report_id == report_id))
        self._insert_co_authors(report_id, co_author_ids)

    def _insert_co_authors(self, report_id: str, co_author_ids) -> None:
        if co_author_ids:
            self.uow.execute(insert(report_co_authors), [
                {"report_id": report_id, "person_id": pid, "position": i}
                for i, pid in enumerate(co_author_ids)])

    def update(self, report_id: str, co_author_ids=None, **values) -> None:
        values["updated_at"] = utcnow()
        self.uow.execute(update(reports).where(reports.c.id == report_id).values(**values))
        if co_author_ids is not None:
            self._set_co_authors(report_id, co_author_ids)

    def declined(self, report_id: str) -> set:
        """Who left this report's co-authorship (退出联名)."""
        return set(self.uow.execute(select(co_author_declines.c.person_id).where(
            co_author_declines.c.report_id == report_id)).scalars())

    def decline_co_author(self, report_id: str, person_id: str, at) -> None:
        self.uow.execute(delete(report_co_authors).where(
            report_co_authors.c.report_id == report_id,
            report_co_authors.c.person_id == person_id))
        self.uow.execute(insert(co_author_declines), dict(report_id=report_id,
                                                          person_id=person_id, at=at))

    # --- attachments (what each file is; the gateway keeps the bytes) ---------------
    ATTACHMENT_FIELDS = ("id", "name", "size", "content_type", "sha256", "uploaded_by",
                         "created_at")

    def attachments(self, report_id: str, with_keys=False) -> list:
        columns = [report_attachments.c[n] for n in self.ATTACHMENT_FIELDS]
        if with_keys:
            columns.append(report_attachments.c.key)
        return [dict(r) for r in self.uow.execute(
            select(*columns).where(report_attachments.c.report_id == report_id)
            .order_by(report_attachments.c.created_at, report_attachments.c.id)).mappings()]

    def add_attachment(self, row: dict) -> None:
        self.uow.execute(insert(report_attachments), row)

    def remove_attachment(self, report_id: str, attachment_id: str) -> None:
        self.uow.execute(delete(report_attachments).where(
            report_attachments.c.report_id == report_id,
            report_attachments.c.id == attachment_id))

    def find_same(self, author_id: str, title: str, day) -> dict | None:
        """The report of this author and title sent on this office day (a backlog row seen
        before), if any."""
        start, end = officetime.start_of(day), officetime.start_of(day + timedelta(days=1))
        rows = self.uow.execute(select(reports).where(
            reports.c.author_id == author_id, reports.c.title == title,
            reports.c.submitted_at >= start, reports.c.submitted_at < end)).mappings().all()
        found = self._hydrate(rows)
        return found[0] if found else None

    def get(self, report_id: str, with_history=False) -> dict | None:
        row = self.uow.execute(select(reports).where(reports.c.id == report_id)).mappings().first()
        if row is None:
            return None
        report = self._hydrate([row])[0]
        if with_history:
            report["history"] = [dict(h) for h in self.uow.execute(
                select(*HISTORY_FIELDS)
                .where(report_history.c.report_id == report_id)
                .order_by(report_history.c.id)).mappings()]
        return report

    def _hydrate(self, rows) -> list:
        found = [dict(r) for r in rows]
        if not found:
            return []
        co = {}
        for link in self.uow.execute(
                select(report_co_authors).where(report_co_authors.c.report_id.in_(
                    [r["id"] for r in found])).order_by(report_co_authors.c.position)):
            co.setdefault(link.report_id, []).append(link.person_id)
        topic_ids = {r["topic_id"] for r in found if r["topic_id"]}
        titles = dict(self.uow.execute(select(topics.c.id, topics.c.title).where(
            topics.c.id.in_(topic_ids))).all()) if topic_ids else {}
        for report in found:
            report["co_author_ids"] = co.get(report["id"], [])
            report["topic_title"] = titles.get(report["topic_id"])
            self._decoded(report)
        return found

    @staticmethod
    def _decoded(report: dict) -> dict:
        report["decision"] = decode_json(report["decision"])
        report["outcomes"] = decode_json(report["outcomes"]) or []
        report["credited"] = decode_json(report.get("credited"))
        return report

    def list_visible(self, principal: dict, see_all: bool, filters: dict, page: int,
                     page_size: int):
        query = select(reports)
        if not see_all:
            mine = or_(reports.c.author_id == principal["id"],
                       reports.c.entered_by == principal["id"],
                       reports.c.id.in_(select(report_co_authors.c.report_id).where(
                           report_co_authors.c.person_id == principal["id"])))
            if "unit_admin" in principal["roles"] and principal["unit_ids"]:
                mine = or_(mine, reports.c.unit_id.in_(principal["unit_ids"]))
            query = query.where(mine)
        if str(filters.get("mine", "")).lower() in ("1", "true", "yes"):  # "false" is false
            query = query.where(reports.c.author_id == principal["id"])
        for name in ("status", "category", "unit_id"):
            if filters.get(name):
                query = query.where(getattr(reports.c, name) == filters[name])
        if filters.get("between"):
            start, end = filters["between"]
            when = func.coalesce(reports.c.submitted_at, reports.c.created_at)
            query = query.where(when >= start, when < end)

        def order_of(columns):
            if filters.get("between"):
                # Newest by the instant the period is about: a page is then read in the
                # order of ix_reports_counted, not found by walking every newer report.
                return (func.coalesce(columns.submitted_at, columns.created_at).desc(),
                        columns.id)
            return (columns.created_at.desc(), columns.id)
        offset = (page - 1) * page_size
        if filters.get("q"):
            return self._search(query, order_of, filters["q"], offset, page_size)
        total = self.uow.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = self.uow.execute(query.order_by(*order_of(reports.c))
                                .limit(page_size).offset(offset))
        return self._hydrate(rows.mappings()), total, True

    def _search(self, query, order_of, words: str, offset: int, page_size: int):
        """A page of the reports of ``query`` whose text holds ``words``, with how many
        there are up to SEARCH_COUNT_LIMIT (and whether that is all of them).

        A report's text is too long for PostgreSQL to keep statistics of, so its planner
        cannot tell a common word from a rare one: it read all 900,000 reports holding a
        common word to sort them (7 s). So the newest SEARCH_WINDOW reports are looked
        through first, and a common word fills its count and page from them; only a
        rarer word is looked up in the trigram index (three characters or more) or, for
        two characters, in every row.
        """
        newest = query.order_by(*order_of(reports.c)).limit(self.SEARCH_WINDOW).subquery()
        # The words as typed: a % or _ in them is text, not a wildcard.
        in_newest = _whole_text(newest.c).contains(words, autoescape=True)
        searched = _whole_text(reports.c)
        if not TRIGRAM.search(words):
            # No trigram to look up: the index would be read whole and every report read
            # again one by one (9 s), where reading the table in parallel takes 4 s.
            # Another expression than the index's keeps the planner off it.
            searched = searched + ""
        query = query.where(searched.contains(words, autoescape=True))
        cap = self.SEARCH_COUNT_LIMIT

        def count(matching) -> int:
            return self.uow.execute(select(func.count()).select_from(
                matching.limit(cap + 1).subquery())).scalar_one()
        total = first = count(select(newest.c.id).where(in_newest))
        if first <= cap:
            total = count(query)
        if first >= offset + page_size or first == total <= cap:
            # The page lies among the newest reports (or they hold every match), so they
            # hold the newest matches.
            rows = self.uow.execute(select(newest).where(in_newest).order_by(
                *order_of(newest.c)).limit(page_size).offset(offset))
        else:
            rows = self.uow.execute(query.order_by(*order_of(reports.c))
                                    .limit(page_size).offset(offset))
        return self._hydrate(rows.mappings()), min(total, cap), total <= cap

    def add_history(self, report_id: str, action: str, actor_id, at=None, comment=None) -> None:
        self.uow.execute(insert(report_history), dict(
            report_id=report_id, action=action, actor_id=actor_id, at=at or utcnow(),
            comment=comment))

    # --- idempotency keys -----------------------------------------------------------
    def take_key(self, user_id: str, key: str, digest: str, report_id: str):
        """Record ``key`` for ``report_id``, unless the user used it before: then the row
        stored then (its body hash and report), and nothing is written."""
        if (user_id, key) in self.take_keys([(user_id, key, digest, report_id)]):
            return None
        return self.key_row(user_id, key)

    def key_row(self, user_id: str, key: str):
        """The row a user's key was recorded with (its body hash and report), or None."""
        return self.uow.execute(select(idempotency_keys).where(
            idempotency_keys.c.user_id == user_id, idempotency_keys.c.key == key)).first()

    def take_keys(self, wanted) -> set:
        """``take_key`` for many (user id, key, body hash, report id), no (user, key)
        twice, in one statement: the (user id, key) pairs recorded now; the others were
        used before, and nothing is written for them."""
        if not wanted:
            return set()
        now = utcnow()
        taken = self.uow.execute(
            conflict_insert(self.uow.db, idempotency_keys).on_conflict_do_nothing()
            .returning(idempotency_keys.c.user_id, idempotency_keys.c.key),
            [dict(user_id=user_id, key=key, body_hash=digest, report_id=report_id,
                  created_at=now) for user_id, key, digest, report_id in wanted])
        return {(row.user_id, row.key) for row in taken}

    def forget_keys_before(self, cutoff) -> None:
        self.uow.execute(delete(idempotency_keys).where(idempotency_keys.c.created_at < cutoff))

    # --- directory copy -----------------------------------------------------------
    def known_people(self, ids) -> set:
        if not ids:
            return set()
        return {r.id for r in self.uow.execute(select(people.c.id).where(people.c.id.in_(ids)))}

    def person(self, person_id: str) -> dict | None:
        """A person as the directory copy has them: roles, unit ids, active."""
        row = self.uow.execute(select(people).where(people.c.id == person_id)).mappings().first()
        if row is None:
            return None
        return {"id": row["id"], "display_name": row["display_name"], "active": row["active"],
                "roles": decode_json(row["roles"]), "unit_ids": decode_json(row["unit_ids"])}

    def unit_kind(self, unit_id) -> str | None:
        if unit_id is None:
            return None
        return self.uow.execute(select(units.c.kind).where(units.c.id == unit_id)).scalar()

    def person_unit_ids(self, person_id: str) -> list:
        row = self.uow.execute(select(people.c.unit_ids).where(people.c.id == person_id)).first()
        return decode_json(row.unit_ids) if row else []
