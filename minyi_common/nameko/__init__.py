"""Everything of ours that touches nameko: RPC with deadlines (``rpc``), the reliable
event entrypoint (``consumer``), the dependencies services are built with
(``dependencies``) and our subclasses of nameko's message plumbing (``queues``).

Service classes import these; domain and service-layer code never do. ``install()`` is
the one change made to nameko itself, called by every process that runs or calls a
service (``minyi_common.serve``, the test plugin).
"""
from nameko.exceptions import deserialize_to_instance

from .. import errors
from .consumer import ATTEMPT_HEADER, OUTAGE_HEADER, EventConsumer, consume_each, on_event
from .dependencies import (BURST_GATHER, BURSTING, Background, BackgroundLoop,
                           DatabaseProvider, RequestContext, Settings, database_of,
                           service_stats, settings_of)
from .rpc import DEADLINE_HEADER, DeadlineRpc, TimedRpcProxy, rpc

__all__ = ["ATTEMPT_HEADER", "BURST_GATHER", "BURSTING", "Background", "BackgroundLoop",
           "DEADLINE_HEADER", "DatabaseProvider", "DeadlineRpc", "EventConsumer",
           "OUTAGE_HEADER", "RequestContext", "Settings", "TimedRpcProxy", "consume_each",
           "database_of", "install", "on_event", "rpc", "service_stats", "settings_of"]


def install() -> None:
    """Our errors travel through nameko RPC as themselves, not as RemoteError strings:
    nameko rebuilds an error on the caller's side only for classes registered with it.
    (Registering again changes nothing.)"""
    for error in errors.ALL:
        deserialize_to_instance(error)
