"""Facts declared once: who may do what is read from one table (``MAY``) by the gateway's
routes and the services' own checks alike, and the codes of roles, categories, statuses,
reasons, levels and outcome kinds are the keys of one dictionary of words."""
import ast
import os

from gateway.http import ApiRoute
from gateway.service import GatewayService
from minyi_common import words
from minyi_common.contracts import (CATEGORIES, MAY, REJECT_REASONS, REPORT_STATUSES, ROLES,
                                    SCORING_EVENTS, WEBHOOK_EVENT_TYPES)

from .system import ROOT

DECLARED_IN = os.path.join("minyi_common", "contracts", "principal.py")


def _sources():
    for top in ("services", "gateway", "minyi_common"):
        for folder, dirs, files in os.walk(os.path.join(ROOT, top)):
            dirs[:] = [d for d in dirs if d not in ("tests", "migrations", "__pycache__")]
            for name in files:
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    yield os.path.relpath(path, ROOT), path


def test_no_set_of_roles_is_written_down_outside_the_table():
    """A tuple of two or more role names (("editor", "admin")) or a check against a role
    by name other than the unit admin's relation to a unit, anywhere but the table (or a
    named declaration of the contracts, such as who owes a quota)."""
    written = []
    for relative, path in _sources():
        if relative == DECLARED_IN:
            continue
        with open(path, encoding="utf-8") as source:
            tree = ast.parse(source.read())
        declarations = {id(node.value) for node in tree.body if isinstance(node, ast.Assign)
                        and relative.startswith(os.path.join("minyi_common", "contracts"))}
        for node in ast.walk(tree):
            if id(node) in declarations:
                continue
            if isinstance(node, ast.Tuple) and len(node.elts) >= 2 and all(
                    isinstance(e, ast.Constant) and e.value in ROLES for e in node.elts):
                written.append(f"{relative}:{node.lineno}")
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
                    "require_role", "has_role"):
                names = [a.value for a in node.args if isinstance(a, ast.Constant)]
                if any(name != "unit_admin" for name in names):
                    written.append(f"{relative}:{node.lineno}")
    assert not written, "roles written down outside MAY: " + ", ".join(written)


def test_every_route_with_roles_takes_them_from_the_table():
    routes = [e for name in vars(GatewayService)
              for e in getattr(getattr(GatewayService, name), "nameko_entrypoints", ())
              if isinstance(e, ApiRoute) and e.doc["roles"]]
    assert len(routes) > 30
    table = {id(roles) for roles in MAY.values()}
    assert all(id(route.doc["roles"]) in table for route in routes), [
        route.url for route in routes if id(route.doc["roles"]) not in table]


def test_codes_are_the_keys_of_the_words():
    assert ROLES == tuple(words.ROLES) and REPORT_STATUSES == tuple(words.STATUSES)
    assert CATEGORIES == tuple(words.CATEGORIES)
    assert REJECT_REASONS == tuple(words.REJECT_REASONS)
    assert SCORING_EVENTS == tuple(words.SCORE_EVENTS)
    assert set(WEBHOOK_EVENT_TYPES) == set(words.EVENT_NAMES)  # each has its name on the page
    assert all(set(roles) <= set(ROLES) for roles in MAY.values())
