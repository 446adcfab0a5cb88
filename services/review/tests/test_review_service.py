"""Review in a real container on SQLite and PostgreSQL: concurrent decisions, and the
similarity index."""
import time
from datetime import datetime, timezone

import eventlet
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import func, select

from minyi_common import events
from minyi_common.db import Database
from minyi_common.errors import Conflict
from minyi_common.testing import both_backends
from services.review import handlers
from services.review.adapters.orm import metadata
from services.review.service import ReviewService, Similarity
from services.review.similarity import SimilarityIndex, grams

EDITOR = {"id": "editor-1", "roles": ["editor"], "unit_ids": []}
OTHER_EDITOR = {"id": "editor-2", "roles": ["editor"], "unit_ids": []}


def arrive(db, report_id, title="关于加强农村饮水安全的建议", text="山村饮水困难，旱季断水。"):
    event = events.parse_event(events.new_event("report_submitted", "author", report_id, report={
        "id": report_id, "author_id": "author", "co_author_ids": [], "unit_id": None,
        "title": title, "category": "rural", "situation": text, "analysis": text,
        "suggestions": text, "submitted_at": datetime.now(timezone.utc).isoformat()}))
    handlers.on_report_events(db, SimilarityIndex(), event)


@both_backends
def test_concurrent_decisions_leave_exactly_one(container_factory, service_config):
    cfg = service_config("review")
    db = Database(cfg["DB_URL"], metadata)
    container = container_factory(ReviewService, cfg)
    container.start()
    for n in range(4):
        arrive(db, f"r{n}")
        results = []

        def decide(who, action, body):
            with ServiceRpcProxy("review", cfg) as review:
                try:
                    review.decide(who, f"r{n}", action, body)
                    results.append(action)
                except Conflict:
                    results.append("409")

        pool = eventlet.GreenPool()
        pool.spawn(decide, EDITOR, "adopt", {})
        pool.spawn(decide, OTHER_EDITOR, "reject", {"reason_code": "duplicate",
                                                    "comment": "重复"})
        pool.waitall()
        assert sorted(results) in (["409", "adopt"], ["409", "reject"])
    outbox = metadata.tables["outbox"]
    with db.engine.connect() as connection:
        decisions = connection.execute(select(func.count()).select_from(outbox).where(
            outbox.c.event_type.in_(["report_adopted", "report_rejected"]))).scalar_one()
    assert decisions == 4
    db.dispose()


@both_backends
def test_a_started_review_catches_its_similarity_index_up_by_itself(container_factory,
                                                                    service_config):
    """The index lives in memory: a (re)started container rebuilds it from the database
    in the background at start, before any new report asks for hints."""
    cfg = service_config("review")
    db = Database(cfg["DB_URL"], metadata)
    earlier = [f"r{n}" for n in range(5)]
    for report_id in earlier:  # what the review saw before its restart
        arrive(db, report_id, text=f"第{report_id}号：山村饮水困难，旱季断水。")
    container = container_factory(ReviewService, cfg)
    container.start()
    index = next(e for e in container.extensions if isinstance(e, Similarity)).index
    deadline = time.monotonic() + 10
    while not all(r in index for r in earlier) and time.monotonic() < deadline:
        eventlet.sleep(0.05)
    assert all(r in index for r in earlier), "the index did not catch up at start"
    db.dispose()


def test_a_duplicate_submission_event_changes_nothing(tmp_path):
    db = Database(f"sqlite:///{tmp_path}/review.db", metadata)
    metadata.create_all(db.engine)
    event = events.parse_event(events.new_event("report_submitted", "a", "r1", report={
        "id": "r1", "author_id": "a", "co_author_ids": [], "unit_id": None, "title": "关于某事的建议",
        "category": "other", "submitted_at": datetime.now(timezone.utc).isoformat()}))
    index = SimilarityIndex()
    handlers.on_report_events(db, index, event)
    handlers.on_report_events(db, index, event)
    history = metadata.tables["history"]
    with db.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(history)).scalar_one() == 1
    db.dispose()


def test_similarity_ranks_the_near_duplicate_first():
    index = SimilarityIndex()
    index.add("water", grams("关于加强农村饮水安全的建议", "部分山村仍靠山泉水和浅井取水，旱季断水。"))
    index.add("parking", grams("关于完善城区停车设施的建议", "老城区停车位缺口大，占道停车普遍。"))
    index.add("school", grams("关于加强乡村教师队伍建设的建议", "乡村学校教师流失严重。"))
    found = index.most_similar(grams("关于保障农村饮水安全的建议", "山村靠山泉水和浅井取水，旱季常断水。"))
    assert found[0][0] == "water" and found[0][1] > 0.4
    assert all(key != "parking" for key, _ in found)
    assert index.most_similar(frozenset()) == []
    assert SimilarityIndex().most_similar(grams("任何文字")) == []


def test_similarity_ignores_grams_in_most_reports():
    index = SimilarityIndex(common_share=0.5, common_floor=1)
    for n in range(10):
        index.add(f"r{n}", grams(f"建议建议{n}"))
    assert index.most_similar(grams("建议建议")) == []  # only the everywhere-gram in common
