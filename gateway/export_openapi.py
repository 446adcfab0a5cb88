"""``python -m gateway.export_openapi [FILE]``: write /openapi.json without starting
anything, for the web app's generated API types (``web/openapi.json``)."""
import json
import sys

from . import openapi
from .service import GatewayService


def write_out(text: str, argv: list) -> None:
    """To the file the command names, or to standard output."""
    if argv:
        with open(argv[0], "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)


def main() -> None:
    write_out(json.dumps(openapi.document(GatewayService), ensure_ascii=False, indent=1,
                         sort_keys=True) + "\n", sys.argv[1:])


if __name__ == "__main__":
    main()
