"""``python -m gateway.export_openapi [FILE]``: write /openapi.json without starting
anything, for the web app's generated API types (``web/openapi.json``)."""
import json
import sys

from . import openapi
from .service import GatewayService


def main() -> None:
    text = json.dumps(openapi.document(GatewayService), ensure_ascii=False, indent=1,
                      sort_keys=True) + "\n"
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
