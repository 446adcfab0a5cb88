"""Past reports (往期信息导入), the directory's part: the spreadsheet names authors by
username and units by name; here they become ids, and names nobody has are errors of
their row and column. Intake checks and stores the rest (docs/reports.md)."""
import re

from sqlalchemy import select


from ..adapters.orm import units, users

SEPARATORS = re.compile(r"[、,，;；/\s]+")
M_UNKNOWN_PERSON = "No active person has the username {value}."
M_UNKNOWN_UNIT = "No unit is named {value}."
M_REQUIRED = "Required."
M_TOO_MANY = "At most {max} rows in one file."


def resolve(db, rows: list, max_rows: int):
    """(rows for intake, with ids; errors [{row, column, message}])."""
    errors = []
    if len(rows) > max_rows:
        errors.append({"row": rows[max_rows]["row"], "column": "标题",
                       "message": M_TOO_MANY.format(max=max_rows)})
        rows = rows[:max_rows]
    with db.unit_of_work(read_only=True) as uow:
        people = {r.username: r.id for r in uow.execute(
            select(users.c.username, users.c.id).where(users.c.active.is_(True)))}
        unit_ids = {r.name: r.id for r in uow.execute(select(units.c.name, units.c.id))}
    resolved = []
    for row in rows:
        number = row["row"]
        author = row["作者用户名"]
        if not author:
            errors.append({"row": number, "column": "作者用户名", "message": M_REQUIRED})
        elif author not in people:
            errors.append({"row": number, "column": "作者用户名",
                           "message": M_UNKNOWN_PERSON.format(value=author)})
        co_authors = []
        for name in [n for n in SEPARATORS.split(row["联名作者用户名"]) if n]:
            if name in people:
                co_authors.append(people[name])
            else:
                errors.append({"row": number, "column": "联名作者用户名",
                               "message": M_UNKNOWN_PERSON.format(value=name)})
        unit_id = None
        if row["单位"]:
            unit_id = unit_ids.get(row["单位"])
            if unit_id is None:
                errors.append({"row": number, "column": "单位",
                               "message": M_UNKNOWN_UNIT.format(value=row["单位"])})
        resolved.append({"row": number, "title": row["标题"], "author_id": people.get(author),
                         "co_author_ids": co_authors, "unit_id": unit_id,
                         "category": row["类别"], "submitted_on": row["报送日期"],
                         "situation": row["情况"], "analysis": row["分析"],
                         "suggestions": row["建议"], "result": row["处理结果"],
                         "decided_on": row["采用日期"], "outcomes": row["成效"]})
    return resolved, errors
