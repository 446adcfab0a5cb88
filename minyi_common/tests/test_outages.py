"""What counts as an outage (waited out, told once) and what is a bug (told each time)."""
import logging
import sqlite3

from kombu.exceptions import OperationalError as KombuOperationalError
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from minyi_common.outages import Outages, what_is_away


class PgError(Exception):
    def __init__(self, pgcode):
        super().__init__(f"pgcode {pgcode}")
        self.pgcode = pgcode


def db_error(kind, pgcode=None):
    return kind("SELECT 1", {}, PgError(pgcode) if pgcode else Exception("gone"))


def test_a_database_going_or_gone_is_an_outage():
    assert what_is_away(db_error(OperationalError)) == "the database"  # no answer at all
    assert what_is_away(db_error(OperationalError, "57P01")) == "the database"  # shutdown
    assert what_is_away(db_error(OperationalError, "08006")) == "the database"
    assert what_is_away(db_error(OperationalError, "57P03")) == "the database"  # starting


def test_on_sqlite_only_a_lock_held_too_long_or_a_file_that_will_not_open_is():
    def sqlite_error(text):
        return OperationalError("SELECT 1", {}, sqlite3.OperationalError(text))
    assert what_is_away(sqlite_error("database is locked")) == "the database"
    assert what_is_away(sqlite_error("unable to open database file")) == "the database"
    assert what_is_away(sqlite_error("no such table: reports")) is None  # a bug


def test_a_database_that_answers_with_an_error_is_not():
    assert what_is_away(db_error(IntegrityError, "23505")) is None
    assert what_is_away(db_error(ProgrammingError, "42P01")) is None
    assert what_is_away(db_error(OperationalError, "40001")) is None  # serialization
    assert what_is_away(ValueError("a bug")) is None


def test_a_broker_that_refuses_connections_is_an_outage():
    assert what_is_away(KombuOperationalError("[Errno 111] ECONNREFUSED")) == "the broker"
    assert what_is_away(ConnectionResetError(104, "reset")) == "the broker"


def test_an_outage_is_told_once_and_its_end_once(caplog):
    outages = Outages()
    caplog.set_level(logging.WARNING, logger="minyi_common.outages")
    for _ in range(5):
        assert outages.noticed("outbox relay", db_error(OperationalError))
    assert not outages.noticed("outbox relay", ValueError("a bug"))
    outages.over("outbox relay")
    outages.over("outbox relay")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines
    assert "the database is not answering" in lines[0]
    assert "the database is back after" in lines[1]


def test_settling_a_message_on_a_socket_the_broker_closed_does_not_raise():
    """nameko catches amqp's ConnectionError only; a broker that just went away gives a
    broken pipe or a reset, which would end the container (the gateway's reply listener
    acks every answer it gets)."""
    from minyi_common.nameko.queues import BriskQueueConsumer

    class Message:
        delivery_info = {"routing_key": "rpc.reply-gateway"}

        class channel:
            connection = object()  # alive, as far as nameko can tell

        def ack(self):
            raise BrokenPipeError(32, "Broken pipe")

        def requeue(self):
            raise ConnectionResetError(104, "Connection reset by peer")

    from minyi_common.nameko import DeadlineRpc, EventConsumer, TimedRpcProxy

    # What every entrypoint and proxy of ours consumes through:
    for extension in (DeadlineRpc.rpc_consumer, TimedRpcProxy.rpc_reply_listener,
                      EventConsumer):
        assert isinstance(extension.queue_consumer, BriskQueueConsumer), extension
    consumer = BriskQueueConsumer()
    consumer.ack_message(Message())
    consumer.requeue_message(Message())
