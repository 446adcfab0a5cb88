import minyi_common  # noqa: F401  (first: it quiets eventlet's import-time warning)

# nameko 2.14 no longer monkey-patches by itself; everything below expects green sockets.
import eventlet  # noqa: E402

eventlet.monkey_patch()

pytest_plugins = ["minyi_common.testing"]
