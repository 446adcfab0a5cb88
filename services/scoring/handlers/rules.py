"""Rule set versions (docs/scoring.md): admins add versions, never edit old ones."""
from decimal import Decimal

from minyi_common.contracts import (RuleSetInput, RuleSetOutput, load_contract,
                                    load_principal, require)
from minyi_common.db import utcnow

from ..adapters.repository import ScoringRepository


def list_rule_sets(db) -> list:
    with db.unit_of_work(read_only=True) as uow:
        rows = ScoringRepository(uow).rule_set_rows()
    return RuleSetOutput(many=True).dump(rows)


def add_rule_set(db, principal, payload) -> dict:
    """Store a new version. Lines already computed for dates on or after its
    effective_from change: the caller rebuilds them (``recompute.rebuild``)."""
    principal = load_principal(principal)
    require(principal, "manage_scoring")
    data = load_contract(RuleSetInput, payload)
    with db.unit_of_work() as uow:
        repo = ScoringRepository(uow)
        version = repo.last_rule_version() + 1
        row = {"version": version, "effective_from": data["effective_from"],
               "coauthor_share": data["coauthor_share"], "created_at": utcnow(),
               "rules": [{"event": r["event"], "level": r["level"], "mode": r.get("mode"),
                          "points": str(Decimal(r["points"]))} for r in data["rules"]]}
        repo.add_rule_set(row)
        uow.commit()
    return RuleSetOutput().dump(row)
