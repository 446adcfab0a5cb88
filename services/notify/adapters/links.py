"""Reading and writing notify's link tables inside a unit of work: links, the messages
waiting to go down each (claimed with a lease, one in flight per piece), the pieces sent
up and received, and the ids of messages already received."""
from sqlalchemy import and_, exists, func, or_, select, update

from minyi_common.db import Repository, conflict_insert

from .orm import forwarded_pieces, link_inbox, link_messages, links, received_pieces


class LinkRepository(Repository):
    # --- links -----------------------------------------------------------------------
    def add_link(self, row: dict) -> bool:
        """Insert a link unless its key id is taken; whether it was added."""
        made = self.uow.execute(conflict_insert(self.uow.db, links).on_conflict_do_nothing(),
                                row)
        return bool(made.rowcount)

    def link(self, link_id: str) -> dict | None:
        row = self.uow.execute(select(links).where(links.c.id == link_id)).first()
        return dict(row._mapping) if row else None

    def link_by_key(self, key_id: str) -> dict | None:
        row = self.uow.execute(select(links).where(links.c.key_id == key_id)).first()
        return dict(row._mapping) if row else None

    def links_with_state(self) -> list:
        """Every link with its last success, messages waiting and parked, last error."""
        found = []
        for row in self.uow.execute(select(links).order_by(links.c.created_at)).mappings():
            link = dict(row)
            mine = link_messages.c.link_id == link["id"]
            counts = dict(self._all(select(link_messages.c.status, func.count()).where(mine)
                                    .group_by(link_messages.c.status)))
            link["waiting"] = counts.get("pending", 0) + counts.get("sending", 0)
            link["parked"] = counts.get("parked", 0)
            link["last_success_at"] = self.uow.execute(
                select(func.max(link_messages.c.sent_at)).where(mine)).scalar()
            link["last_error"] = self.uow.execute(
                select(link_messages.c.last_error).where(mine, link_messages.c.last_error
                                                         .is_not(None))
                .order_by(link_messages.c.created_at.desc()).limit(1)).scalar()
            found.append(link)
        return found

    # --- messages going out ------------------------------------------------------------
    def add_message(self, row: dict) -> None:
        self.uow.execute(conflict_insert(self.uow.db, link_messages).on_conflict_do_nothing(),
                         row)

    def claim_due(self, now, until) -> dict | None:
        """One due message, taken until ``until``: pending and its time come, or sending
        with a lease run out; and none before it for the same piece still unsent."""
        earlier = link_messages.alias("earlier")
        blocked = exists().where(earlier.c.link_id == link_messages.c.link_id,
                                 earlier.c.piece_key == link_messages.c.piece_key,
                                 earlier.c.seq < link_messages.c.seq,
                                 earlier.c.status != "sent")
        due = or_(and_(link_messages.c.status == "pending",
                       link_messages.c.next_attempt_at <= now),
                  and_(link_messages.c.status == "sending", link_messages.c.locked_until < now))
        query = (select(link_messages).where(due, ~blocked)
                 .order_by(link_messages.c.next_attempt_at).limit(1))
        if not self.uow.db.is_sqlite:
            # Another instance claiming at this moment skips this row, not waits for it.
            query = query.with_for_update(skip_locked=True, of=link_messages)
        row = self.uow.execute(query).first()
        if row is None:
            return None
        self.uow.execute(update(link_messages).where(link_messages.c.id == row.id)
                         .values(status="sending", locked_until=until))
        return dict(row._mapping)

    def change_claimed(self, row: dict, values: dict) -> None:
        """Fenced by the claim's lease, as for deliveries."""
        self.uow.execute(update(link_messages).where(
            link_messages.c.id == row["id"], link_messages.c.status == "sending",
            link_messages.c.locked_until == row["locked_until"])
            .values(locked_until=None, **values))

    def unpark(self, link_id: str, now) -> int:
        """Send a link's parked messages again (the other side was put right)."""
        return self.uow.execute(update(link_messages).where(
            link_messages.c.link_id == link_id, link_messages.c.status == "parked")
            .values(status="pending", attempts=0, next_attempt_at=now, last_error=None)).rowcount

    # --- pieces --------------------------------------------------------------------------
    def add_forwarded(self, piece_id: str, link_id: str, at) -> None:
        self.uow.execute(conflict_insert(self.uow.db, forwarded_pieces)
                         .on_conflict_do_nothing(),
                         {"piece_id": piece_id, "link_id": link_id, "forwarded_at": at})

    def forwarded_on(self, piece_id: str) -> str | None:
        """The link a piece went up, if it did."""
        return self.uow.execute(select(forwarded_pieces.c.link_id).where(
            forwarded_pieces.c.piece_id == piece_id)).scalar()

    def add_received(self, link_id: str, remote_piece_id: str, report_id: str) -> str:
        """The report a lower office's piece became (made now unless it was before)."""
        self.uow.execute(conflict_insert(self.uow.db, received_pieces).on_conflict_do_nothing(),
                         {"report_id": report_id, "link_id": link_id,
                          "remote_piece_id": remote_piece_id, "next_seq": 1})
        return self.uow.execute(select(received_pieces.c.report_id).where(
            received_pieces.c.link_id == link_id,
            received_pieces.c.remote_piece_id == remote_piece_id)).scalar_one()

    def take_seq(self, report_id: str) -> tuple | None:
        """(link id, the lower office's piece id, the next number) for a report that came
        by a link, the number taken; None for any other report."""
        row = self.uow.execute(update(received_pieces)
                               .where(received_pieces.c.report_id == report_id)
                               .values(next_seq=received_pieces.c.next_seq + 1)
                               .returning(received_pieces.c.link_id,
                                          received_pieces.c.remote_piece_id,
                                          received_pieces.c.next_seq)).first()
        return (row.link_id, row.remote_piece_id, row.next_seq - 1) if row else None

    # --- messages coming in --------------------------------------------------------------
    def note_received(self, message_id: str, link_id: str, at) -> bool:
        """Remember a message by its id; False when it was seen before."""
        made = self.uow.execute(conflict_insert(self.uow.db, link_inbox).on_conflict_do_nothing(),
                                {"message_id": message_id, "link_id": link_id, "received_at": at})
        return bool(made.rowcount)

