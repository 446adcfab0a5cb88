"""Reading and writing notify's tables inside a unit of work: inbox items, preferences,
webhooks, deliveries and their leases, and the directory's copy."""
from sqlalchemy import and_, delete, func, insert, or_, select, update

from minyi_common.contracts import mainland_mobile
from minyi_common.db import Repository, decode_json, utcnow

from .orm import deliveries, notifications, people, preferences, webhooks

DELIVERY_STATUSES = ("pending", "sending", "sent", "failed")


class NotifyRepository(Repository):
    # --- the directory's copy ----------------------------------------------------------
    def active_people(self) -> list:
        """(id, roles, unit ids) of every active person."""
        return [(row.id, decode_json(row.roles), decode_json(row.unit_ids))
                for row in self._all(select(people.c.id, people.c.roles, people.c.unit_ids)
                                     .where(people.c.active.is_(True)))]

    def emails_for(self, person_ids) -> dict:
        """{person id: address} of those who have an address and did not turn email off."""
        if not person_ids:
            return {}
        off = {r.person_id for r in self._all(select(preferences.c.person_id).where(
            preferences.c.person_id.in_(person_ids), preferences.c.email.is_(False)))}
        return {r.id: r.email for r in self._all(select(people.c.id, people.c.email).where(
            people.c.id.in_(person_ids), people.c.email.is_not(None))) if r.id not in off}

    def _chose(self, channel: str, person_ids) -> set:
        column = preferences.c[channel]
        return {r.person_id for r in self._all(select(preferences.c.person_id).where(
            preferences.c.person_id.in_(person_ids), column.is_(True)))}

    def phones_for(self, person_ids) -> dict:
        """{person id: mobile} of those who chose SMS and have a mainland mobile."""
        chose = self._chose("sms", person_ids) if person_ids else set()
        if not chose:
            return {}
        found = {}
        for r in self._all(select(people.c.id, people.c.phone).where(people.c.id.in_(chose))):
            mobile = mainland_mobile(r.phone)
            if mobile:
                found[r.id] = mobile
        return found

    def wecom_ids_for(self, person_ids) -> dict:
        """{person id: WeCom UserID} of those who chose WeCom and have a UserID."""
        chose = self._chose("wecom", person_ids) if person_ids else set()
        if not chose:
            return {}
        return {r.id: r.wecom_userid for r in self._all(
            select(people.c.id, people.c.wecom_userid).where(
                people.c.id.in_(chose), people.c.wecom_userid.is_not(None)))}

    def sms_since(self, person_id: str, since) -> int:
        """SMS recorded for a person since ``since`` (sent or to be sent)."""
        return self.uow.execute(select(func.count()).select_from(deliveries).where(
            deliveries.c.channel == "sms", deliveries.c.recipient == person_id,
            deliveries.c.created_at >= since)).scalar_one()

    def contact_of(self, person_id: str):
        """(phone, WeCom UserID) of a person notify knows; None for one it does not."""
        return self.uow.execute(select(people.c.phone, people.c.wecom_userid).where(
            people.c.id == person_id)).first()

    def knows(self, person_id: str) -> bool:
        return self.contact_of(person_id) is not None

    # --- the inbox and preferences -------------------------------------------------------
    def add_notifications(self, rows: list) -> None:
        if rows:
            self.uow.execute(insert(notifications), rows)

    def inbox_page(self, person_id: str, unread_only: bool, page: int, page_size: int):
        """(total, unread, one page of the person's notifications, newest first)."""
        query = select(notifications).where(notifications.c.recipient_id == person_id)
        if unread_only:
            query = query.where(notifications.c.read_at.is_(None))
        total = self.uow.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        unread = self.uow.execute(select(func.count()).select_from(notifications).where(
            notifications.c.recipient_id == person_id,
            notifications.c.read_at.is_(None))).scalar_one()
        rows = self.uow.execute(query.order_by(notifications.c.created_at.desc(),
                                               notifications.c.id.desc())
                                .limit(page_size).offset((page - 1) * page_size)).mappings().all()
        return total, unread, rows

    def mark_read(self, person_id: str, notification_id: int):
        """The person's notification, read from now on if it was not; None if there is no
        such notification of theirs."""
        mine = (notifications.c.id == notification_id) \
            & (notifications.c.recipient_id == person_id)
        row = self.uow.execute(select(notifications).where(mine)).mappings().first()
        if row is not None and row["read_at"] is None:
            self.uow.execute(update(notifications).where(mine).values(read_at=utcnow()))
            row = self.uow.execute(select(notifications).where(mine)).mappings().first()
        return row

    def preferences(self, person_id: str) -> dict:
        """{email, sms, wecom}: as the person (or an admin) chose, or as they started;
        people from before preferences were kept start with email alone."""
        row = self.uow.execute(select(preferences.c.email, preferences.c.sms,
                                      preferences.c.wecom).where(
            preferences.c.person_id == person_id)).first()
        if row is None:
            return {"email": True, "sms": False, "wecom": False}
        return {"email": row.email, "sms": row.sms, "wecom": row.wecom}

    def has_preferences(self, person_id: str) -> bool:
        return self.uow.execute(select(preferences.c.person_id).where(
            preferences.c.person_id == person_id)).first() is not None

    def set_preferences(self, person_id: str, chosen: dict) -> None:
        self.uow.execute(delete(preferences).where(preferences.c.person_id == person_id))
        self.uow.execute(insert(preferences).values(person_id=person_id, **chosen))

    # --- webhooks ------------------------------------------------------------------
    def add_webhook(self, hook: dict) -> None:
        self.uow.execute(insert(webhooks).values(**hook))

    def webhooks(self) -> list:
        """Every webhook, oldest first, its event types decoded."""
        return self._all_decoded(select(webhooks).order_by(webhooks.c.created_at),
                                 "event_types")

    def webhook_secret(self, webhook_id: str) -> str | None:
        """The webhook's secret as stored (sealed), or None if it was deleted."""
        row = self.uow.execute(select(webhooks.c.secret).where(
            webhooks.c.id == webhook_id)).first()
        return row.secret if row else None

    def forget_webhook(self, webhook_id: str) -> bool:
        return self.uow.execute(delete(webhooks).where(webhooks.c.id == webhook_id)) \
            .rowcount > 0

    def replace_secret(self, webhook_id: str, old: str, new: str) -> None:
        """Unless someone changed the secret meanwhile."""
        self.uow.execute(update(webhooks).where(webhooks.c.id == webhook_id,
                                                webhooks.c.secret == old)
                         .values(secret=new))

    # --- deliveries ------------------------------------------------------------------
    def add_delivery(self, row: dict) -> None:
        """A delivery to make, unless its (event, recipient, channel) has one already."""
        exists = self.uow.execute(select(deliveries.c.id).where(
            deliveries.c.event_id == row["event_id"], deliveries.c.recipient == row["recipient"],
            deliveries.c.channel == row["channel"])).first()
        if not exists:
            self.uow.execute(deliveries.insert(), row)

    def claim_due(self, now, until, limit: int) -> list:
        """Up to ``limit`` due deliveries, taken until ``until`` (their lease): pending ones
        whose time has come, and those whose sender's lease ran out."""
        due = or_(and_(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= now),
                  and_(deliveries.c.status == "sending", deliveries.c.locked_until < now))
        query = select(deliveries).where(due).order_by(deliveries.c.next_attempt_at).limit(limit)
        if not self.uow.db.is_sqlite:
            # Another instance claiming at this moment skips these rows, not waits for them.
            query = query.with_for_update(skip_locked=True)
        rows = [dict(r._mapping) for r in self.uow.execute(query)]
        if rows:
            self.uow.execute(update(deliveries).where(deliveries.c.id.in_([r["id"] for r in rows]))
                             .values(status="sending", locked_until=until))
        return rows

    def change_claimed(self, row: dict, values: dict) -> None:
        """Fenced by the claim's lease: a sender whose lease ran out (and whose rows
        another claim took) cannot overwrite what that claim records."""
        self.uow.execute(update(deliveries).where(deliveries.c.id == row["id"],
                                                  deliveries.c.status == "sending",
                                                  deliveries.c.locked_until == row["locked_until"])
                         .values(locked_until=None, **values))

    def deliveries_page(self, status: str | None, page: int, page_size: int):
        query = select(deliveries)
        if status:
            query = query.where(deliveries.c.status == status)
        total = self.uow.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = self.uow.execute(query.order_by(deliveries.c.id.desc()).limit(page_size)
                                .offset((page - 1) * page_size)).mappings().all()
        return total, rows

    def delivery(self, delivery_id: int):
        return self.uow.execute(select(deliveries).where(deliveries.c.id == delivery_id)) \
            .mappings().first()

    def change_delivery(self, delivery_id: int, values: dict) -> None:
        self.uow.execute(update(deliveries).where(deliveries.c.id == delivery_id).values(**values))
