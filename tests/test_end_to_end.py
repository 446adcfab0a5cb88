"""The first slice through every service, over HTTP, on a system started like `make run`."""
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from .system import Api, assert_speaks_chinese, eventually

REPORT = {
    "title": "关于加强农村饮水安全保障的建议",
    "situation": "我县部分偏远山村仍依靠山泉水和浅井取水，旱季断水、雨季浑浊的情况时有发生。",
    "analysis": "一是供水管网老化严重；二是管护经费不足；三是村级管水员缺少培训，水质检测频次偏低。",
    "suggestions": "一是将农村供水管护经费纳入县级财政预算；二是建立村级管水员制度；三是每季度抽检水质并公开结果。",
    "category": "rural",
}


def make_people(system):
    admin = system.admin()
    suffix = uuid.uuid4().hex[:6]
    unit = admin.post("/units", {"name": f"民进县委会{suffix}", "kind": "party"})
    assert unit.status_code == 201, unit.text
    unit_id = unit.json()["id"]

    def person(name, roles, units=(unit_id,)):
        answer = admin.post("/users", {"username": f"{name}{suffix}", "password": "password-123",
                                       "display_name": name, "roles": roles,
                                       "unit_ids": list(units)})
        assert answer.status_code == 201, answer.text
        return answer.json()["id"], Api(system.base).login(f"{name}{suffix}", "password-123")

    return unit_id, {
        "author": person("zhang", ["member"]),
        "coauthor": person("li", ["officer"]),
        "unit_admin": person("wang", ["unit_admin"]),
        "editor": person("zhao", ["editor"], units=()),
        "stranger": person("qian", ["member"], units=()),
    }


def test_a_report_goes_from_submission_to_score_and_inbox(system):
    unit_id, people = make_people(system)
    author_id, author = people["author"]
    coauthor_id, coauthor = people["coauthor"]
    _, editor = people["editor"]
    _, unit_admin = people["unit_admin"]
    _, stranger = people["stranger"]

    # intake learns of the co-author from the directory events; then the report goes in.
    def submit():
        answer = author.post("/reports", dict(REPORT, unit_id=unit_id,
                                              co_author_ids=[coauthor_id]))
        return answer if answer.status_code == 201 else None
    started = time.monotonic()
    created = eventually(submit, timeout=5)
    assert created, "the report was not accepted"
    report = created.json()
    assert report["status"] == "submitted" and report["co_author_ids"] == [coauthor_id]

    # It reaches the review queue, oldest first.
    def queued():
        items = editor.get("/review/queue").json()["items"]
        return [i for i in items if i["id"] == report["id"]]
    assert eventually(queued, timeout=2)
    assert time.monotonic() - started < 3

    # Who may see it: author, co-author, unit admin, editor; nobody else.
    for who in (author, coauthor, unit_admin, editor):
        assert who.get(f"/reports/{report['id']}").status_code == 200
    assert stranger.get(f"/reports/{report['id']}").status_code == 404
    assert author.get("/review/queue").status_code == 403

    # The editor adopts it with an edited title, into an issue of 《社情民意》.
    number = int(uuid.uuid4().int % 900) + 1
    issue = editor.post("/review/issues", {"year": 2026, "number": number}).json()
    adopted = editor.post(f"/review/{report['id']}/adopt",
                          {"title": "关于加强农村饮水安全的建议", "issue_id": issue["id"]})
    assert adopted.status_code == 200, adopted.text
    assert adopted.json()["status"] == "adopted"
    decided = time.monotonic()

    # The author sees the status, the score and the notice within a second or so.
    assert eventually(lambda: author.get(f"/reports/{report['id']}").json()["status"]
                      == "adopted", timeout=3)
    period = time.strftime("%Y") + f"-Q{(int(time.strftime('%m')) - 1) // 3 + 1}"
    scores = eventually(lambda: (lambda s: s if s["points"] else None)(
        author.get(f"/scores/people/{author_id}?period={period}").json()), timeout=3)
    assert scores["points"] == 6  # accepted 1 + adopted (single, county) 5
    assert {(l["event"], l["points"]) for l in scores["lines"]} == {
        ("submitted", 0), ("accepted", 1), ("adopted", 5)}
    co_scores = coauthor.get(f"/scores/people/{coauthor_id}?period={period}").json()
    assert co_scores["points"] == 3  # half of each
    def notices(who, kind):
        return [n for n in who.get("/notifications").json()["items"] if n["kind"] == kind]
    adoption = eventually(lambda: notices(author, "adopted"), timeout=3)
    assert f"2026年第{number}期" in adoption[0]["body"]
    assert time.monotonic() - decided < 3
    assert eventually(lambda: notices(author, "points"))[0]["title"].endswith("6分")
    assert eventually(lambda: len(notices(coauthor, "adopted")) == 1)
    assert eventually(lambda: len(notices(unit_admin, "adopted")) == 1)
    assert notices(unit_admin, "points") == []  # unit admins are told of adoptions, not points
    assert stranger.get("/notifications").json()["total"] == 0

    # Decisions are final: a second adoption is a conflict and changes nothing.
    again = editor.post(f"/review/{report['id']}/adopt", {})
    assert again.status_code == 409
    assert again.headers["Content-Type"].startswith("application/problem+json")


def test_a_returned_report_is_revised_and_resubmitted(system):
    _, people = make_people(system)
    _, author = people["author"]
    _, editor = people["editor"]
    report = author.post("/reports", REPORT).json()
    assert eventually(lambda: editor.post(f"/review/{report['id']}/return",
                                          {"comment": "请补充具体数据"}).status_code == 200)
    assert eventually(lambda: author.get(f"/reports/{report['id']}").json()["status"]
                      == "returned")
    notice = eventually(lambda: author.get("/notifications").json()["items"])
    assert notice[0]["kind"] == "returned" and "请补充具体数据" in notice[0]["body"]

    revised = author.put(f"/reports/{report['id']}", dict(REPORT, title="关于保障农村饮水安全的建议"))
    assert revised.status_code == 200, revised.text
    assert author.post(f"/reports/{report['id']}/submit").json()["status"] == "resubmitted"
    assert eventually(lambda: [i for i in editor.get("/review/queue?status=resubmitted")
                               .json()["items"] if i["id"] == report["id"]])


def test_a_burst_with_bad_submissions_among_good_ones_refuses_only_those(system):
    """Concurrent submissions travel to intake together (gateway/gather.py): each is
    still answered in its own right, a bad one refused alone, a good one stored once."""
    admin, suffix = system.admin(), uuid.uuid4().hex[:6]
    writers = []
    for i in range(6):
        assert admin.post("/users", {"username": f"burst{i}{suffix}", "password": "password-123",
                                     "display_name": f"委员{i}", "roles": ["member"]}
                          ).status_code == 201
        writers.append(Api(system.base).login(f"burst{i}{suffix}", "password-123"))
    editor_name = f"burstedit{suffix}"
    assert admin.post("/users", {"username": editor_name, "password": "password-123",
                                 "display_name": "编辑", "roles": ["editor"]}).status_code == 201
    editor = Api(system.base).login(editor_name, "password-123")
    tag = f"齐发{suffix}"

    def body(n):
        if n % 5 == 0:  # refused by its fields
            return dict(REPORT, title="短", category="weather")
        if n % 7 == 0:  # refused by the directory: no such co-author
            return dict(REPORT, title=f"{tag}第{n}篇", co_author_ids=[str(uuid.uuid4())])
        return dict(REPORT, title=f"{tag}第{n}篇")

    def write(i):
        answers = []
        for n in range(i, 60, len(writers)):
            key = f"{suffix}-{n}"
            answers.append((n, writers[i].post("/reports", body(n),
                                               headers={"Idempotency-Key": key})))
        return answers

    with ThreadPoolExecutor(len(writers)) as pool:
        answers = [a for each in pool.map(write, range(len(writers))) for a in each]
    good = {n for n in range(60) if n % 5 and n % 7}
    for n, answer in answers:
        if n in good:
            assert answer.status_code == 201, (n, answer.text)
            assert answer.json()["title"] == f"{tag}第{n}篇"
        else:
            assert answer.status_code == 422, (n, answer.text)
            assert set(answer.json()["errors"]) == (
                {"title", "category"} if n % 5 == 0 else {"co_author_ids"})
            assert_speaks_chinese(answer.json())
    ids = {answer.json()["id"] for n, answer in answers if n in good}
    assert len(ids) == len(good)
    # Sent again with the same keys, every stored one is answered as before, no new one.
    replay = writers[1].post("/reports", body(1), headers={"Idempotency-Key": f"{suffix}-1"})
    assert replay.status_code == 201 and replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json()["id"] in ids

    def queued():
        found = editor.get(f"/review/queue?q={tag}&page_size=200").json()["items"]
        return {item["id"] for item in found}
    assert eventually(lambda: queued() == ids, timeout=30)
    for writer in writers:
        mine = writer.get(f"/reports?q={tag}&page_size=200").json()
        assert {r["id"] for r in mine["items"]} <= ids


def test_bad_input_is_refused_with_problem_json_and_nothing_is_stored(system):
    _, people = make_people(system)
    _, author = people["author"]
    before = author.get("/reports").json()["total"]

    invalid = author.post("/reports", dict(REPORT, title="短", suggestions="", category="x"))
    assert invalid.status_code == 422
    assert invalid.headers["Content-Type"].startswith("application/problem+json")
    assert set(invalid.json()["errors"]) == {"title", "suggestions", "category"}

    malformed = author.call("POST", "/reports", data=b"{not json",
                            headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400

    huge = author.call("POST", "/reports", data=b"x" * (65 * 1024),
                       headers={"Content-Type": "application/json"})
    assert huge.status_code == 413

    assert Api(system.base).get("/reports").status_code == 401
    assert Api(system.base, "not-a-token").get("/reports").status_code == 401
    assert author.get("/nowhere").status_code == 404
    assert author.call("DELETE", "/reports").status_code == 405
    assert author.get("/reports").json()["total"] == before
