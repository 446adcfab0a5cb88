"""Where each service lives. Importing this has no side effects (``serve`` monkey-patches
on import; tools such as benchmarks and migrations must not)."""
import importlib
import os

SERVICE_CLASSES = {
    "intake": "services.intake.service:IntakeService",
    "review": "services.review.service:ReviewService",
    "scoring": "services.scoring.service:ScoringService",
    "notify": "services.notify.service:NotifyService",
    "gateway": "gateway.service:GatewayService",
}


def service_module(name: str):
    return importlib.import_module(SERVICE_CLASSES[name].split(":")[0])


def service_class(name: str):
    return getattr(service_module(name), SERVICE_CLASSES[name].split(":")[1])


def migrations_dir(name: str) -> str:
    return os.path.join(os.path.dirname(service_module(name).__file__), "migrations")
