"""Reading and writing topics, commissions and notices inside a unit of work."""
from sqlalchemy import and_, func, insert, or_, select

from minyi_common.db import Repository

from .orm import commissions, notice_files, notices, people, reports, topics, units

# A report answers its commission, and counts for its topic, once it is submitted and
# while it is not withdrawn (a draft is not yet a piece).
NOT_A_PIECE = ("draft", "withdrawn")
FILE_FIELDS = ("id", "name", "size", "content_type", "sha256", "uploaded_by", "created_at")


class OfficeRepository(Repository):
    # --- topics ---------------------------------------------------------------------
    def topic(self, topic_id) -> dict | None:
        if not topic_id:
            return None
        row = self.uow.execute(select(topics).where(topics.c.id == topic_id)).mappings().first()
        return dict(row) if row else None

    def add_topic(self, row: dict) -> None:
        self.uow.execute(insert(topics), row)

    def topics(self, year=None) -> list:
        counted = (select(reports.c.topic_id, func.count().label("n"))
                   .where(reports.c.topic_id.is_not(None),
                          reports.c.status.not_in(NOT_A_PIECE))
                   .group_by(reports.c.topic_id).subquery())
        query = (select(topics, func.coalesce(counted.c.n, 0).label("reports"))
                 .outerjoin(counted, counted.c.topic_id == topics.c.id))
        if year is not None:
            query = query.where(topics.c.year == year)
        return [dict(r) for r in self.uow.execute(
            query.order_by(topics.c.year.desc(), topics.c.created_at, topics.c.id)).mappings()]

    # --- commissions ----------------------------------------------------------------
    def commission(self, commission_id) -> dict | None:
        if not commission_id:
            return None
        row = self.uow.execute(select(commissions).where(
            commissions.c.id == commission_id)).mappings().first()
        return dict(row) if row else None

    def add_commission(self, row: dict) -> None:
        self.uow.execute(insert(commissions), row)

    def unit(self, unit_id) -> dict | None:
        row = self.uow.execute(select(units).where(units.c.id == unit_id)).mappings().first()
        return dict(row) if row else None

    def commissions(self, addressed_to=None, ids=None) -> list:
        """Commissions with their first answer (report id, when), who and what they
        name; ``addressed_to`` (person id, unit ids) keeps those of one person."""
        answers = (select(reports.c.commission_id, reports.c.id.label("report_id"),
                          reports.c.submitted_at,
                          func.row_number().over(partition_by=reports.c.commission_id,
                                                 order_by=(reports.c.submitted_at,
                                                           reports.c.id)).label("nth"))
                   .where(reports.c.commission_id.is_not(None),
                          reports.c.status.not_in(NOT_A_PIECE)).subquery())
        first = select(answers).where(answers.c.nth == 1).subquery()
        query = (select(commissions, first.c.report_id.label("answered_by"),
                        first.c.submitted_at.label("answered_at"),
                        people.c.display_name.label("person_name"),
                        units.c.name.label("unit_name"), topics.c.title.label("topic_title"))
                 .outerjoin(first, first.c.commission_id == commissions.c.id)
                 .outerjoin(people, people.c.id == commissions.c.person_id)
                 .outerjoin(units, units.c.id == commissions.c.unit_id)
                 .outerjoin(topics, topics.c.id == commissions.c.topic_id))
        if addressed_to is not None:
            person_id, unit_ids = addressed_to
            query = query.where(or_(commissions.c.person_id == person_id,
                                    and_(commissions.c.unit_id.is_not(None),
                                         commissions.c.unit_id.in_(list(unit_ids) or [""]))))
        if ids is not None:
            query = query.where(commissions.c.id.in_(list(ids)))
        return [dict(r) for r in self.uow.execute(
            query.order_by(commissions.c.due_on, commissions.c.created_at,
                           commissions.c.id)).mappings()]

    # --- notices --------------------------------------------------------------------
    def add_notice(self, row: dict) -> None:
        self.uow.execute(insert(notices), row)

    def notice(self, notice_id) -> dict | None:
        row = self.uow.execute(select(notices).where(notices.c.id == notice_id)).mappings().first()
        return dict(row) if row else None

    def notices(self, page: int, page_size: int):
        total = self.uow.execute(select(func.count()).select_from(notices)).scalar_one()
        rows = self.uow.execute(select(notices).order_by(
            notices.c.created_at.desc(), notices.c.id).limit(page_size)
            .offset((page - 1) * page_size)).mappings()
        return [dict(r) for r in rows], total

    def notice_files(self, notice_ids, with_keys=False) -> dict:
        columns = [notice_files.c[n] for n in FILE_FIELDS] + [notice_files.c.notice_id]
        if with_keys:
            columns.append(notice_files.c.key)
        found = {}
        for row in self.uow.execute(select(*columns).where(
                notice_files.c.notice_id.in_(list(notice_ids) or [""]))
                .order_by(notice_files.c.created_at, notice_files.c.id)).mappings():
            found.setdefault(row["notice_id"], []).append(
                {k: v for k, v in row.items() if k != "notice_id"})
        return found

    def add_notice_file(self, row: dict) -> None:
        self.uow.execute(insert(notice_files), row)
