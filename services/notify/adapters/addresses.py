"""Where a webhook may point: a public address on the internet, never this deployment's own
network (docs/security.md). An administrator's URL is resolved and every address it resolves to is
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
    """The URL points into the deployment's own network, or does not resolve. ``reason``
    says so in Chinese, for the admin who reads the delivery record."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def check(url: str, allow_private: bool = False) -> str | None:
    """Raise ``Forbidden`` unless every address ``url``'s host resolves to is public.
    Returns one of them, for the sender to connect to that very address (pinned): a name
    that resolves elsewhere a moment later cannot redirect the connection. ``None`` with
    ``allow_private`` (nothing is resolved; the connection resolves the name itself)."""
    host = (urlparse(url).hostname or "").rstrip(".").lower()
    if not host:
        raise Forbidden("no host", "地址中没有主机名")
    if allow_private:
        return None
    if host in OWN_NAMES or host.endswith(".localhost"):
        raise Forbidden(f"{host} is this deployment's own name",
                        f"{host} 是本系统自身的主机名，不向其发送")
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise Forbidden(f"{host} does not resolve: {exc}", f"域名 {host} 无法解析") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        mapped = getattr(address, "ipv4_mapped", None)
        if not (mapped or address).is_global or address.is_multicast:
            raise Forbidden(f"{host} resolves to {address}, which is not a public address",
                            f"{host} 解析为 {address}，不是公网地址，未发送")
    return infos[0][4][0]
