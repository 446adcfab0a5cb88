"""pytest fixtures shared by every service's tests and the cross-service tests (the root
conftest loads this package as a plugin).

A test run takes the broker and PostgreSQL from ``AMQP_URI`` / ``MINYI_TEST_PG_URL``
(defaults: the local services), starts testcontainers only when those do not answer
and a Docker engine does, and otherwise fails with a clear message: it never skips.
Each run gets its own RabbitMQ vhost (when it can make one) and each test its own
namespace of exchanges and queues and its own databases, all removed afterwards.

Note on imports: nothing from ``minyi_common.serve`` at the top of any module here.
Importing serve monkey-patches the process for eventlet, and tests/system.py imports
free_port from here for the browser tests (web/e2e), whose Playwright must run unpatched.
"""
from .broker import (TEST_RETRY_DELAYS, NamespaceSupply, amqp_uri, broker_uri, namespace,
                     namespace_supply, own_vhost)
from .databases import (BACKENDS, DEFAULT_PG, DatabaseMaker, backend, both_backends, databases,
                        emptied, make_settings, migrated_templates, pg_server_url,
                        pytest_generate_tests, service_config)
from .tools import SmtpServer, free_port, race

__all__ = ["BACKENDS", "DEFAULT_PG", "DatabaseMaker", "NamespaceSupply", "SmtpServer",
           "TEST_RETRY_DELAYS", "amqp_uri", "backend", "both_backends", "broker_uri",
           "databases", "emptied", "free_port", "make_settings", "migrated_templates",
           "namespace", "namespace_supply", "own_vhost", "pg_server_url", "pytest_configure",
           "pytest_generate_tests", "race", "service_config"]


def pytest_configure(config):
    """Tests run services and call them in-process, as minyi_common.serve does."""
    from ..nameko import install
    install()
