"""/metrics: this gateway's request and RPC figures, each service's outbox backlog and
the dead-letter queues' depth, in Prometheus text."""
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from werkzeug.wrappers import Response

from minyi_common import dlq
from minyi_common.metrics import DEAD_LETTERS, OUTBOX_BACKLOG, REGISTRY, SERVICE_UP


def exposition(settings, backlogs: dict) -> Response:
    for service, backlog in backlogs.items():
        SERVICE_UP.labels(service).set(0 if backlog is None else 1)
        if backlog is not None:
            OUTBOX_BACKLOG.labels(service).set(backlog)
    try:
        parked = dict(dlq.inspect(settings.amqp_uri, settings.namespace))
    except Exception:
        parked = {}
    DEAD_LETTERS.clear()
    for queue, count in parked.items():
        DEAD_LETTERS.labels(queue).set(count)
    return Response(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
