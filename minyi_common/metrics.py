"""Prometheus metrics of this process (the gateway serves them at /metrics)."""
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry()

HTTP_REQUESTS = Counter("minyi_http_requests_total", "HTTP requests by route and status",
                        ("method", "route", "status"), registry=REGISTRY)
HTTP_SECONDS = Histogram("minyi_http_request_seconds", "HTTP request latency by route",
                         ("method", "route"), registry=REGISTRY)
RPC_SECONDS = Histogram("minyi_rpc_seconds", "RPC latency by service and method",
                        ("service", "method", "outcome"), registry=REGISTRY)
OUTBOX_BACKLOG = Gauge("minyi_outbox_backlog", "Events written but not yet published",
                       ("service",), registry=REGISTRY)
DEAD_LETTERS = Gauge("minyi_dead_letters", "Events parked in dead-letter queues",
                     ("queue",), registry=REGISTRY)
SERVICE_UP = Gauge("minyi_service_up", "1 when the service answered the last scrape",
                   ("service",), registry=REGISTRY)
