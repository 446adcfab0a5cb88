import os

import minyi_common  # noqa: F401  (first: it quiets eventlet's import-time warning)

# nameko 2.14 no longer monkey-patches by itself; everything below expects green sockets.
import eventlet  # noqa: E402

eventlet.monkey_patch()

pytest_plugins = ["minyi_common.testing"]

# Cheap argon2 for the people the suite makes and logs in by the thousand (gateway/directory/auth.py),
# here and in every system the tests start (they inherit this environment). Set before
# anything imports the gateway. The tests of hashing itself use the real parameters.
os.environ.setdefault("MINYI_TEST_CHEAP_PASSWORD_HASHES", "1")


import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def browser_tests_alongside(request, tmp_path_factory):
    """When the browser tests are among the tests to run, start them now, beside the rest,
    in a process and on a vhost of their own (nameko's RPC queues are named by service
    alone: two systems on one vhost would answer each other's calls). Where no vhost can
    be made, tests/test_web_app.py runs them in their turn instead."""
    from minyi_common.testing import own_vhost
    from tests.browser_run import BROWSER, NODE
    if not any(item.nodeid == NODE for item in request.session.items):
        yield
        return
    broker = request.getfixturevalue("broker_uri")
    with own_vhost(broker) as uri:
        if uri != broker:
            BROWSER.start(uri, str(tmp_path_factory.mktemp("browser")))
        yield
        BROWSER.finish()
