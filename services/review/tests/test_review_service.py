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
from services.review.similarity import SimilarityIndex, sketch

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
    index.add("water", sketch("关于加强农村饮水安全的建议", "部分山村仍靠山泉水和浅井取水，旱季断水。"))
    index.add("parking", sketch("关于完善城区停车设施的建议", "老城区停车位缺口大，占道停车普遍。"))
    index.add("school", sketch("关于加强乡村教师队伍建设的建议", "乡村学校教师流失严重。"))
    found = index.most_similar(sketch("关于保障农村饮水安全的建议", "山村靠山泉水和浅井取水，旱季常断水。"))
    assert found[0][0] == "water" and found[0][1] > 0.4
    assert all(key != "parking" for key, _ in found)
    assert index.most_similar(sketch()) == []
    assert SimilarityIndex().most_similar(sketch("任何文字")) == []


def test_similarity_ignores_grams_in_most_reports():
    index = SimilarityIndex(common_share=0.5, common_floor=1)
    for n in range(10):
        index.add(f"r{n}", sketch(f"建议建议{n}"))
    assert index.most_similar(sketch("建议建议")) == []  # only the everywhere-gram in common


def _bigrams(text):
    clean = "".join(c for c in text if c.isalnum())
    return {clean[i:i + 2] for i in range(len(clean) - 1)}


def test_the_estimate_is_the_jaccard_similarity_when_both_sketches_are_whole():
    """Two short reports (no more bigrams between them than a sketch holds): exact."""
    a, b = "山村靠山泉水取水旱季断水", "山村靠浅井取水旱季常断水"
    index = SimilarityIndex(common_floor=5)
    index.add("a", sketch(a))
    exact = len(_bigrams(a) & _bigrams(b)) / len(_bigrams(a) | _bigrams(b))
    assert index.most_similar(sketch(b), threshold=0) == [("a", round(exact, 4))]


def test_reports_are_found_before_and_after_the_index_is_frozen_and_undone_to_a_mark():
    texts = {f"r{n}": f"关于第{n}号议题{'饮水停车教育医疗养老'[n % 5] * 3}的建议" for n in range(40)}
    index = SimilarityIndex(common_floor=100)
    index.load(list(texts)[:30], [sketch(t) for t in list(texts.values())[:30]])
    assert "r3" not in index  # loaded rows wait for freeze
    index.freeze()
    for key in list(texts)[30:]:
        index.add(key, sketch(texts[key]))
    assert all(key in index for key in texts) and "r99" not in index
    for key in ("r3", "r35"):  # one frozen, one recent: each is its own best match
        assert index.most_similar(sketch(texts[key]))[0] == (key, 1.0)
        assert all(other != key for other, _ in index.most_similar(sketch(texts[key]),
                                                                   exclude=key))
    mark = index.mark()
    index.add("new", sketch(texts["r35"] + "补充"))
    index.undo_to(mark)
    assert "new" not in index and len(index) == 40
    assert all(key != "new" for key, _ in index.most_similar(sketch(texts["r35"])))
    index.freeze()  # the recent part folds in; nothing is lost
    assert index.most_similar(sketch(texts["r35"]))[0] == ("r35", 1.0)


def test_a_near_duplicate_is_found_among_many_long_reports():
    """Long reports (more bigrams than a sketch holds) are estimated, not exact; a
    rewritten report is still found first among a thousand others."""
    import random
    rng = random.Random(3)
    chars = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    texts = ["".join(rng.choice(chars) for _ in range(400)) for _ in range(1000)]
    index = SimilarityIndex()
    index.load([f"r{n}" for n in range(1000)], [sketch(t) for t in texts])
    index.freeze()
    original = texts[123]
    rewritten = original[:150] + "".join(rng.choice(chars) for _ in range(60)) + original[210:]
    hints = index.most_similar(sketch(rewritten))
    assert hints[0][0] == "r123" and 0.5 < hints[0][1] < 0.95, hints


@both_backends
def test_feed_rows_from_before_sketches_get_one_when_first_read(db):
    """Reports indexed before sketches were stored are sketched from their text at the
    next start, and the sketch is kept for the start after."""
    from services.review.adapters.orm import similarity_docs
    from sqlalchemy import update
    arrive(db, "old-1", text="部分山村仍靠山泉水和浅井取水，旱季断水。")
    arrive(db, "old-2", title="关于完善城区停车设施的建议", text="老城区停车位缺口大，占道停车普遍。")
    with db.unit_of_work() as uow:
        uow.execute(update(similarity_docs).values(sketch=None))
        uow.commit()
    index = SimilarityIndex()
    handlers.catch_up(db, index)
    assert "old-1" in index and "old-2" in index
    with db.unit_of_work(read_only=True) as uow:
        stored = dict(uow.execute(select(similarity_docs.c.report_id, similarity_docs.c.sketch)).all())
    assert all(stored.values())
    found = index.most_similar(sketch("关于加强农村饮水安全的建议", "山村靠山泉水和浅井取水，旱季断水。"))
    assert found[0][0] == "old-1"
