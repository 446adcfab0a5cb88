"""Rule set versions (docs/scoring.md): admins add versions, never edit old ones."""
from decimal import Decimal

from sqlalchemy import func, insert, select

from minyi_common.contracts import (RuleSetInput, RuleSetOutput, load_contract,
                                    load_principal, require)
from minyi_common.db import decode_json, utcnow

from .adapters.orm import rule_sets


def list_rule_sets(db) -> list:
    with db.unit_of_work(read_only=True) as uow:
        rows = [dict(r._mapping) for r in uow.execute(
            select(rule_sets).order_by(rule_sets.c.version))]
    for row in rows:
        row["rules"] = decode_json(row["rules"])
    return RuleSetOutput(many=True).dump(rows)


def add_rule_set(db, principal, payload) -> dict:
    """Store a new version. Lines already computed for dates on or after its
    effective_from change: the caller rebuilds them (``handlers.rebuild``)."""
    principal = load_principal(principal)
    require(principal, "manage_scoring")
    data = load_contract(RuleSetInput, payload)
    with db.unit_of_work() as uow:
        version = (uow.execute(select(func.max(rule_sets.c.version))).scalar() or 0) + 1
        row = {"version": version, "effective_from": data["effective_from"],
               "coauthor_share": data["coauthor_share"], "created_at": utcnow(),
               "rules": [{"event": r["event"], "level": r["level"], "mode": r.get("mode"),
                          "points": str(Decimal(r["points"]))} for r in data["rules"]]}
        uow.execute(insert(rule_sets).values(**row))
        uow.commit()
    return RuleSetOutput().dump(row)
