"""Review's races on PostgreSQL (SQLite serialises writers and hides them), each released
at a barrier, several rounds: intake's events out of order, a withdrawal racing a
decision, two outcomes recorded at one moment."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from minyi_common import events
from minyi_common.db import Database
from minyi_common.errors import Conflict
from minyi_common.testing import both_backends, emptied, race
from services.review import handlers
from services.review.adapters.orm import (cases, history, metadata, similarity_docs,
                                          similarity_hints)
from services.review.similarity import SimilarityIndex

EDITOR = {"id": "editor-1", "roles": ["editor"], "unit_ids": []}
ROUNDS = 6


class Settings:
    level = "county"


def intake_event(kind, report_id, at, **text):
    body = events.new_event(kind, "author", report_id, report={
        "id": report_id, "author_id": "author", "co_author_ids": [], "unit_id": None,
        "title": "关于加强农村饮水安全的建议", "category": "rural", "situation": "山村饮水困难。",
        "analysis": "管网老化。", "suggestions": "纳入预算。",
        "submitted_at": (at - timedelta(seconds=1)).isoformat(), **text})
    body["occurred_at"] = at.isoformat()
    return events.parse_event(body)


def status(db, report_id):
    with db.unit_of_work(read_only=True) as uow:
        return uow.execute(select(cases.c.status).where(cases.c.report_id == report_id)).scalar()


def queued(db, report_id) -> bool:
    found = handlers.queue(db, EDITOR, {"page_size": 200})["items"]
    return any(item["id"] == report_id for item in found)


@both_backends
def test_a_withdrawal_that_overtakes_its_submission_keeps_the_report_out_of_the_queue(db):
    now = datetime.now(timezone.utc)
    index = SimilarityIndex()
    handlers.on_report_events(db, index, intake_event("report_withdrawn", "w1", now))
    handlers.on_report_events(db, index, intake_event("report_submitted", "w1",
                                                     now - timedelta(seconds=5)))
    assert status(db, "w1") == "withdrawn" and not queued(db, "w1")
    with pytest.raises(Conflict):  # nobody can adopt it against its author's withdrawal
        handlers.decide(db, Settings, EDITOR, "w1", "adopt", {})
    # A replayed (older) submission after a resubmission changes nothing either.
    handlers.on_report_events(db, index, intake_event("report_submitted", "w2", now))
    handlers.decide(db, Settings, EDITOR, "w2", "return", {"comment": "请补充数据"})
    handlers.on_report_events(db, index, intake_event("report_resubmitted", "w2",
                                                     now + timedelta(seconds=10)))
    handlers.on_report_events(db, index, intake_event("report_submitted", "w2",
                                                     now + timedelta(seconds=5)))
    assert status(db, "w2") == "resubmitted"


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_withdrawal_racing_a_decision_never_overwrites_it(db):
    index = SimilarityIndex()
    for n in range(ROUNDS):
        report_id = f"r{n}"
        now = datetime.now(timezone.utc)
        handlers.on_report_events(db, index, intake_event("report_submitted", report_id, now))
        withdrawal = intake_event("report_withdrawn", report_id, now + timedelta(seconds=1))
        results = race(lambda: handlers.decide(db, Settings, EDITOR, report_id, "adopt", {}),
                       lambda: handlers.on_report_events(db, index, withdrawal))
        adopted = not isinstance(results[0], Exception)
        if adopted:
            # The decision came first: it stands, the withdrawal is ignored.
            assert status(db, report_id) == "adopted", f"round {n}: adoption overwritten"
        else:
            # The withdrawal came first: the editor got a 409 and nothing was adopted.
            assert isinstance(results[0], Conflict), results[0]
            assert status(db, report_id) == "withdrawn"
        assert not isinstance(results[1], Exception), results[1]
        assert not queued(db, report_id)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_outcomes_recorded_at_the_same_moment_both_succeed(db):
    index = SimilarityIndex()
    for n in range(ROUNDS):
        report_id = f"o{n}"
        handlers.on_report_events(db, index, intake_event(
            "report_submitted", report_id, datetime.now(timezone.utc)))
        handlers.decide(db, Settings, EDITOR, report_id, "adopt", {})
        bodies = [{"kind": "forwarded", "level": "city", "date": "2026-07-20"},
                  {"kind": "upstream_adopted", "level": "city", "date": "2026-07-21",
                   "mode": "single"},
                  {"kind": "instructed", "level": "county", "date": "2026-07-22",
                   "leader": "县长"}]
        results = race(*[lambda b=b: handlers.decide(db, Settings, EDITOR, report_id,
                                                     "outcomes", b) for b in bodies])
        assert [r for r in results if isinstance(r, Exception)] == [], f"round {n}: {results}"
        with db.unit_of_work(read_only=True) as uow:
            outcomes = uow.execute(select(cases.c.outcomes).where(
                cases.c.report_id == report_id)).scalar()
        assert sorted(o["kind"] for o in outcomes) == [
            "forwarded", "instructed", "upstream_adopted"], f"round {n}"


TOPICS = ["农村饮水管网老化漏损严重", "城区停车位缺口大占道停车", "老旧小区加装电梯资金难筹",
          "中小学课后服务师资不足", "乡镇卫生院药品配备短缺", "农产品冷链物流设施落后"]


@both_backends
def test_similar_reports_handled_at_the_same_moment_are_hinted(db):
    """Two instances (each with its own index) take two reports on one matter at once: the
    one handled second names the first (each missed the other, not yet committed)."""
    from services.review.adapters.orm import similarity_hints
    now = datetime.now(timezone.utc)

    def submitted(report_id, topic):
        event = intake_event("report_submitted", report_id, now)
        event["report"].update(title=f"关于{topic}的建议", situation=f"{topic}，群众反映强烈。",
                               analysis=f"{topic}的原因是多方面的。", suggestions=f"尽快解决{topic}问题。")
        return event

    for n, topic in enumerate(TOPICS):
        pair = (f"same-a{n}", f"same-b{n}")
        results = race(*[lambda r=r: handlers.on_report_events(
            db, SimilarityIndex(), submitted(r, topic)) for r in pair])
        assert not [r for r in results if isinstance(r, Exception)], results
        with db.unit_of_work(read_only=True) as uow:
            hinted = uow.execute(select(similarity_hints.c.report_id, similarity_hints.c
                                        .similar_report_id).where(
                similarity_hints.c.report_id.in_(pair))).all()
        assert {tuple(row) for row in hinted} & {pair, pair[::-1]}, f"round {n}: {hinted}"


@both_backends
def test_a_batch_that_rolls_back_leaves_the_similarity_index_as_it_was(db):
    """In a batch the second report reads the first's doc before either commits; if a
    later event fails, the batch rolls back and its events are handled again one by one:
    the index must not keep the uncommitted doc (the first report's doc would never be
    stored, and a restart would lose its hints)."""
    from services.review.adapters.orm import similarity_docs, similarity_hints
    now = datetime.now(timezone.utc)
    first, second, third = (intake_event("report_submitted", r, now)
                            for r in ("batch-1", "batch-2", "batch-3"))

    class FailsOnTheThird(SimilarityIndex):  # its handler fails, after the two others ran
        def most_similar(self, doc, exclude=None):
            if exclude == "batch-3":
                raise KeyError("batch-3")
            return super().most_similar(doc, exclude=exclude)
    index = FailsOnTheThird()
    with pytest.raises(KeyError):
        handlers.on_report_events(db, index, first, second, third)
    assert len(index) == 0 and index.last_seq == 0
    assert "batch-1" not in index and "batch-2" not in index

    for event in (first, second):  # what the consumer does after a failed batch
        handlers.on_report_events(db, index, event)
    with db.unit_of_work(read_only=True) as uow:
        docs = set(uow.execute(select(similarity_docs.c.report_id)).scalars())
        hints = {tuple(r) for r in uow.execute(select(similarity_hints.c.report_id,
                                                      similarity_hints.c.similar_report_id))}
    assert docs == {"batch-1", "batch-2"} and ("batch-2", "batch-1") in hints
    restarted = SimilarityIndex()
    handlers.catch_up(db, restarted)
    assert "batch-1" in restarted and "batch-2" in restarted


def _what_events_left(db) -> dict:
    with db.engine.connect() as connection:
        return {
            "cases": sorted(connection.execute(select(
                cases.c.report_id, cases.c.status, cases.c.version, cases.c.intake_at,
                cases.c.title, cases.c.situation)).all()),
            "history": [tuple(r) for r in connection.execute(
                select(history.c.report_id, history.c.action, history.c.at)
                .order_by(history.c.report_id, history.c.id))],
            "hints": sorted(connection.execute(select(
                similarity_hints.c.report_id, similarity_hints.c.similar_report_id)).all()),
            "docs": sorted(connection.execute(select(similarity_docs.c.report_id)).scalars()),
        }


@both_backends
def test_a_batch_of_events_leaves_what_one_event_at_a_time_leaves(databases):
    """A batch inserts its history, hints and similarity docs once when it ends; each of
    its events must still find the batch's earlier reports similar, and a resubmission's
    hints replace those its submission got in the same batch."""
    now = datetime.now(timezone.utc)
    earlier = intake_event("report_submitted", "a0", now - timedelta(minutes=1))
    other_matter = {"title": "关于规范城区夜市摊点管理的意见", "situation": "夜市摊点占道经营，噪声扰民。",
                    "analysis": "缺少统一规划。", "suggestions": "划定经营区域。"}
    story = [intake_event("report_submitted", "b1", now),
             intake_event("report_submitted", "b2", now + timedelta(seconds=1)),
             intake_event("report_resubmitted", "b1", now + timedelta(seconds=2), **other_matter),
             intake_event("report_submitted", "b3", now + timedelta(seconds=3)),
             intake_event("report_withdrawn", "b3", now + timedelta(seconds=4))]
    left = []
    for batched in (False, True):
        db = Database(databases.url("review"), metadata)
        try:
            emptied(db)
            index = SimilarityIndex()
            handlers.on_report_events(db, index, earlier)
            if batched:
                handlers.on_report_events(db, index, *story)
            else:  # in the order a batch applies them: by report, then as they came
                for event in sorted(story, key=lambda e: e["report_id"]):
                    handlers.on_report_events(db, index, event)
            left.append(_what_events_left(db))
            # The index stands where the feed ends: a catch-up adds nothing twice.
            with db.engine.connect() as connection:
                assert index.last_seq == connection.execute(
                    select(func.max(similarity_docs.c.seq))).scalar()
        finally:
            db.dispose()
    one_at_a_time, in_one_batch = left
    assert in_one_batch == one_at_a_time
    # b1's submission found a0; its resubmission, on another matter, finds nothing.
    assert [h for h in one_at_a_time["hints"] if h[0] == "b1"] == []
    assert ("b2", "a0") in one_at_a_time["hints"] and ("b3", "b2") in one_at_a_time["hints"]
    assert len(one_at_a_time["history"]) == 6 and len(one_at_a_time["docs"]) == 4
    # A case is made by its report's first event, changed once by each later one.
    assert {c[0]: (c[1], c[2]) for c in in_one_batch["cases"]} == {
        "a0": ("submitted", 1), "b1": ("resubmitted", 2), "b2": ("submitted", 1),
        "b3": ("withdrawn", 2)}
