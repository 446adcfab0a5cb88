"""The rows of a backlog import, checked without a database: outcomes as offices write
them, results, dates."""
from datetime import date

from services.intake import backlog

TODAY = date(2026, 12, 4)
TEXT = {"situation": "情况" * 30, "analysis": "分析" * 10, "suggestions": "建议" * 20}


def row(**values):
    return {"author_id": "a", "title": "关于往期信息的建议", "category": "乡村振兴",
            "submitted_on": "2025-03-10", **TEXT, **values}


def test_outcomes_as_offices_write_them():
    found, problem = backlog.parse_outcomes(
        "市级上级采用 2025-04-02；县级领导批示 2025-4-15 县长：请水利局研究落实;"
        "县级部门采用 2025-05-01 县水利局", None)
    assert problem is None
    assert found == [
        {"kind": "upstream_adopted", "level": "city", "date": "2025-04-02", "mode": "single"},
        {"kind": "instructed", "level": "county", "date": "2025-04-15", "leader": "县长",
         "text": "请水利局研究落实"},
        {"kind": "department_adopted", "level": "county", "date": "2025-05-01",
         "target": "县水利局"}]
    for wrong in ("市级上级采用", "市里采用 2025-04-02", "县级领导批示 2025-04-15",
                  "市级上级采用 2025-02-30"):
        assert backlog.parse_outcomes(wrong, None)[1] == backlog.M_OUTCOME, wrong


def test_a_row_checked_field_by_field():
    report, errors = backlog.check_row(row(result="综合采用", decided_on="2025-03-20",
                                           outcomes="省级上级采用 2025-06-01"), TODAY)
    assert errors == {}
    assert (report["status"], report["mode"], report["category"]) == ("adopted", "merged", "rural")
    assert report["decided_on"] == date(2025, 3, 20)
    report, errors = backlog.check_row(row(result="留存"), TODAY)
    assert errors == {} and report["decided_on"] == date(2025, 3, 10)  # the day it was sent
    _, errors = backlog.check_row(row(category="农业", submitted_on="2027-01-01", result="采纳",
                                      title="短"), TODAY)
    assert set(errors) == {"category", "submitted_on", "result", "title"}
    _, errors = backlog.check_row(row(result="留存", outcomes="市级上级采用 2025-04-02"), TODAY)
    assert errors == {"outcomes": [backlog.M_OUTCOME_ADOPTED]}
    _, errors = backlog.check_row(row(result="已采用", decided_on="2025-03-01"), TODAY)
    assert errors == {"decided_on": [backlog.M_DECIDED_ON]}
