"""The web app (docs/web.md) as the gateway serves it: the built files of ``web/dist``.

Hashed assets (``/assets/…``) are cached for ever; ``index.html`` never, so a new
release is picked up at the next page load. Every other path that is not the API's
answers ``index.html``: the app's router shows the page (deep links from notices).
That answer names the files of the page asked for (``PagePreloads``), so that the
browser fetches them beside the app's own code instead of after it.
"""
import gzip
import html
import json
import mimetypes
import os
import re

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


class PagePreloads:
    """The ``<link>`` lines that name a page's own files, from the table the build writes
    (``.vite/pages.json``, web/build/pagePreloads.ts): its page components' chunks as
    ``modulepreload`` and their styles as ``preload``.

    On a phone over slow 4G the app's router asks for a page's code only once the app's
    code has arrived and run; named in the HTML, it comes beside that code. Measured with
    Lighthouse's mobile preset (2,000 reports waiting): the largest contentful paint of
    /review 2.91-3.02 -> 2.56-2.73 s, of /reports/new 3.32-3.59 -> 2.78-2.81 s.

    A path is matched as the app's router would: literal segments before ``:param``
    ones; the catch-all route names nothing. A page that needs a session, asked for
    without one, names the sign-in page's files, where the app will send the browser.
    The table is read again when the build changes it.
    """

    def __init__(self):
        self._read = (None, None)  # (path and modification time, routes)

    def _routes(self) -> list:
        path = os.path.join(dist_dir(), ".vite", "pages.json")
        try:
            stamp = (path, os.stat(path).st_mtime_ns)
        except OSError:
            return []
        if self._read[0] != stamp:
            with open(path, encoding="utf-8") as handle:
                table = json.load(handle)
            routes = []
            for page in table:
                if "(" in page["path"] or "*" in page["path"]:
                    continue  # the catch-all: any path the app does not know
                segments = page["path"].strip("/").split("/")
                pattern = "/".join("[^/]+" if segment.startswith(":") else re.escape(segment)
                                   for segment in segments)
                literal = sum(not segment.startswith(":") for segment in segments)
                routes.append((re.compile(f"/?{pattern}/?"), literal, page))
            # The most literal segments first: /reports/new before /reports/:id.
            routes.sort(key=lambda route: -route[1])
            self._read = (stamp, routes)
        return self._read[1]

    def page(self, path: str, signed_in: bool) -> dict | None:
        routes = self._routes()
        found = next((page for pattern, _, page in routes if pattern.fullmatch(path)), None)
        if found is not None and not found["public"] and not signed_in:
            found = next((page for _, _, page in routes if page["path"] == "/login"), None)
        return found

    def links(self, path: str, signed_in: bool) -> str:
        page = self.page(path, signed_in)
        if page is None:
            return ""
        return "".join(
            [f'<link rel="modulepreload" crossorigin href="/{html.escape(file)}">'
             for file in page["modules"]] +
            [f'<link rel="preload" as="style" crossorigin href="/{html.escape(file)}">'
             for file in page["styles"]])


PRELOADS = PagePreloads()


def index(accept_encoding: str | None = None, page: str = "/",
          signed_in: bool = False) -> Response:
    path = os.path.join(dist_dir(), "index.html")
    if not os.path.isfile(path):
        return Response(NOT_BUILT, content_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-cache"})
    links = PRELOADS.links(page, signed_in)
    if not links:
        return _file(path, "no-cache", accept_encoding)
    with open(path, encoding="utf-8") as handle:
        body = handle.read().replace("</head>", links + "</head>", 1).encode("utf-8")
    headers = {"Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    wanted = accepted_codings(accept_encoding)
    if "gzip" in wanted or "*" in wanted:
        body = gzip.compress(body, compresslevel=6)
        headers["Content-Encoding"] = "gzip"
    return Response(body, content_type="text/html; charset=utf-8", headers=headers)


def serve(path: str, accept_encoding: str | None = None, signed_in: bool = False) -> Response:
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
    return index(accept_encoding, "/" + path, signed_in)
