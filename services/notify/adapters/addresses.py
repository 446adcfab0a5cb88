"""Where a webhook may point: a public address on the internet, never this deployment's own
network (SPEC §14). An administrator's URL is resolved and every address it resolves to is
checked, when the webhook is added and again before each delivery (a name that resolved
to a public address yesterday may resolve to 127.0.0.1 today)."""
import ipaddress
import socket
from urllib.parse import urlparse

# The names compose gives this deployment's own containers (they resolve to private
# addresses anyway; refused by name too, for a network where they would not).
OWN_NAMES = {"localhost", "gateway", "intake", "review", "scoring", "notify", "rabbitmq",
             "postgres", "db", "broker"}


class Forbidden(Exception):
    """The URL points into the deployment's own network, or does not resolve."""


def check(url: str, allow_private: bool = False) -> None:
    """Raise ``Forbidden`` unless every address ``url``'s host resolves to is public."""
    host = (urlparse(url).hostname or "").rstrip(".").lower()
    if not host:
        raise Forbidden("no host")
    if allow_private:
        return
    if host in OWN_NAMES or host.endswith(".localhost"):
        raise Forbidden(f"{host} is this deployment's own name")
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise Forbidden(f"{host} does not resolve: {exc}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        mapped = getattr(address, "ipv4_mapped", None)
        if not (mapped or address).is_global or address.is_multicast:
            raise Forbidden(f"{host} resolves to {address}, which is not a public address")
