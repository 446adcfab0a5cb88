"""Trust between services (docs/security.md): with MINYI_PRINCIPAL_KEY set, a service believes only
a principal the gateway signed, unaltered and fresh; every RPC that takes a principal
refuses a forged one, whoever can publish on the broker."""
import inspect

import pytest
from nameko.rpc import Rpc
from nameko.standalone.rpc import ServiceRpcProxy

from minyi_common import principals
from minyi_common.errors import Forbidden
from minyi_common.registry import service_class

ADMIN = {"id": "someone", "username": "admin", "roles": ["admin"], "unit_ids": []}


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv(principals.KEY_ENV, "k" * 64)


def test_a_signed_principal_passes_and_any_change_does_not(key):
    signed = principals.sign(ADMIN, now=1_000_000)
    principals.check(signed, now=1_000_000 + principals.LIFETIME - 1)
    for forged in (ADMIN,  # unsigned
                   {**signed, "roles": ["admin", "editor"]},  # altered
                   {**signed, "id": "someone-else"},
                   {**signed, "expires": signed["expires"] + 3600},  # lengthened
                   {**signed, "signature": "0" * 64}, "admin", None):
        with pytest.raises(Forbidden):
            principals.check(forged, now=1_000_000)
    with pytest.raises(Forbidden):  # stale
        principals.check(signed, now=1_000_000 + principals.LIFETIME + 1)


def test_without_a_key_principals_are_taken_as_given(monkeypatch):
    monkeypatch.delenv(principals.KEY_ENV, raising=False)
    assert principals.sign(ADMIN) == ADMIN
    principals.check(ADMIN)


def _calls_with_a_principal(service):
    for name, member in inspect.getmembers(service_class(service), inspect.isfunction):
        takes = list(inspect.signature(member).parameters)[1:]
        if takes[:1] == ["principal"] and any(
                isinstance(e, Rpc) for e in getattr(member, "nameko_entrypoints", ())):
            yield name, len(takes) - 1


@pytest.mark.parametrize("service", ["intake", "review", "scoring", "notify"])
@pytest.mark.parametrize("backend", ["sqlite"])
def test_every_call_with_a_principal_refuses_a_forged_one(service, key, container_factory,
                                                         service_config):
    """What anything with the broker's password could do: call each RPC of a service as
    an admin, unsigned. Every one is refused before it does anything."""
    cfg = service_config(service)
    container_factory(service_class(service), cfg).start()
    calls = list(_calls_with_a_principal(service))
    assert len(calls) >= 3, calls
    refused = []
    with ServiceRpcProxy(service, cfg) as rpc:
        for name, others in calls:
            try:
                getattr(rpc, name)(ADMIN, *[{}] * others)
            except Forbidden as exc:
                refused.append(name if "gateway" in exc.detail else f"{name}: {exc.detail}")
            except Exception as exc:  # noqa: BLE001 (listed below)
                refused.append(f"{name}: {exc.__class__.__name__}")
            else:
                refused.append(f"{name}: done")
        # The same call, signed by the gateway, is taken up (it may fail on its input).
        name, others = calls[0]
        try:
            getattr(rpc, name)(principals.sign(ADMIN), *[{}] * others)
        except Forbidden as exc:
            assert "gateway" not in exc.detail, f"a signed principal was refused: {exc}"
        except Exception:  # noqa: BLE001 (its input is nonsense; what matters is the door)
            pass
    assert refused == [name for name, _ in calls], refused
