"""Accounts for HTTP tests: a unit and people in every role, made through the API."""
import uuid

from .system import Api, eventually

REPORT = {
    "title": "关于加强农村饮水安全保障的建议",
    "situation": "我县部分偏远山村仍依靠山泉水和浅井取水，旱季断水、雨季浑浊的情况时有发生。",
    "analysis": "一是供水管网老化严重；二是管护经费不足；三是村级管水员缺少培训，水质检测频次偏低。",
    "suggestions": "一是将农村供水管护经费纳入县级财政预算；二是建立村级管水员制度；三是每季度抽检水质并公开结果。",
    "category": "rural",
}


class Person:
    def __init__(self, id_, api, name):
        self.id, self.api, self.name = id_, api, name


def make_people(system, **roles_by_name):
    """``make_people(system, zhang=["member"], ...)`` → (unit id, {name: Person}).

    Everyone but editors belongs to one new unit. Waits until intake knows everyone, so
    that co-authors can be named at once.
    """
    admin = system.admin()
    suffix = uuid.uuid4().hex[:6]
    unit = admin.post("/units", {"name": f"民进县委会{suffix}", "kind": "party"})
    assert unit.status_code == 201, unit.text
    unit_id = unit.json()["id"]
    people = {}
    for name, roles in roles_by_name.items():
        units = [] if "editor" in roles else [unit_id]
        answer = admin.post("/users", {"username": f"{name}{suffix}", "password": "password-123",
                                       "display_name": name, "roles": roles,
                                       "unit_ids": units})
        assert answer.status_code == 201, answer.text
        api = Api(system.base).login(f"{name}{suffix}", "password-123")
        people[name] = Person(answer.json()["id"], api, name)
    authors = [p for p in people.values() if not set(roles_by_name[p.name]) & {"editor"}]
    if len(authors) >= 2:
        probe = dict(REPORT, draft=True, co_author_ids=[a.id for a in authors[1:]])
        assert eventually(lambda: authors[0].api.post("/reports", probe).status_code == 201,
                          timeout=30, interval=0.2), "intake did not learn of the new people"
    return unit_id, people
