# nameko 2.14 no longer monkey-patches by itself; everything below expects green sockets.
import eventlet

eventlet.monkey_patch()

pytest_plugins = ["minyi_common.testing"]
