"""The web app (docs/web.md) as the gateway serves it: the built files of ``web/dist``.

Hashed assets (``/assets/…``) are cached for ever; ``index.html`` never, so a new
release is picked up at the next page load. Every other path that is not the API's
answers ``index.html``: the app's router shows the page (deep links from notices).
"""
import mimetypes
import os

from werkzeug.security import safe_join
from werkzeug.wrappers import Response

from minyi_common.errors import NotFound

from .http import accepted_codings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Paths the app must never shadow: an unknown /api/v1/… is a problem+json 404.
RESERVED = ("api/", "docs", "healthz", "readyz", "metrics", "openapi.json", ".vite/")
IMMUTABLE = "public, max-age=31536000, immutable"

NOT_BUILT = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>民意</title></head>
<body style="font: 18px/1.6 sans-serif; max-width: 36em; margin: 3em auto">
<h1>网页端尚未构建</h1>
<p>请在项目目录运行 <code>make run</code>（会自动构建网页端，需要 Node.js 20.19 或更高版本），
或在 <code>web/</code> 目录运行 <code>npm ci &amp;&amp; npm run build</code>。</p>
<p>接口文档：<a href="/docs">/docs</a></p>
</body></html>
"""


def dist_dir() -> str:
    return os.environ.get("MINYI_WEB_DIST") or os.path.join(ROOT, "web", "dist")


# The build writes .br and .gz beside each text file (web/vite.config.ts); the smallest
# one the browser accepts is sent.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))


def _file(path: str, cache: str, accept_encoding: str | None = None) -> Response:
    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
        kind += "; charset=utf-8"
    headers = {"Cache-Control": cache, "Vary": "Accept-Encoding"}
    wanted = accepted_codings(accept_encoding)
    for coding, suffix in ENCODINGS:
        if (coding in wanted or "*" in wanted) and os.path.isfile(path + suffix):
            path = path + suffix
            headers["Content-Encoding"] = coding
            break
    with open(path, "rb") as handle:
        body = handle.read()
    return Response(body, content_type=kind, headers=headers)


def index(accept_encoding: str | None = None) -> Response:
    path = os.path.join(dist_dir(), "index.html")
    if not os.path.isfile(path):
        return Response(NOT_BUILT, content_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-cache"})
    return _file(path, "no-cache", accept_encoding)


def serve(path: str, accept_encoding: str | None = None) -> Response:
    """A built file, or index.html for any other page path."""
    if path.startswith(RESERVED):
        raise NotFound(f"no route /{path}")
    if path and path != "index.html":
        found = safe_join(dist_dir(), path) if "\x00" not in path else None
        if found and os.path.isfile(found):
            hashed = path.startswith("assets/")
            return _file(found, IMMUTABLE if hashed else "public, max-age=3600",
                         accept_encoding)
        if path.startswith("assets/"):
            # A stale page asking for an asset of an older build: a real 404, not HTML.
            raise NotFound(f"no file /{path}")
    return index(accept_encoding)
