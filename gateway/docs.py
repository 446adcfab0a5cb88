"""/docs: Swagger UI over /openapi.json, served from the swagger-ui-bundle package, so
the page works without any outside network."""
import mimetypes

from swagger_ui_bundle import swagger_ui_path
from werkzeug.wrappers import Response

from minyi_common.errors import NotFound

STATIC = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
          "favicon-32x32.png")
# In a file of its own: the Content-Security-Policy allows no inline script.
INIT = """SwaggerUIBundle({url: "/openapi.json", dom_id: "#api", deepLinking: true,
                 persistAuthorization: true});
"""

PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <title>民意 Minyi API</title>
  <link rel="stylesheet" href="/docs/static/swagger-ui.css">
  <link rel="icon" href="/docs/static/favicon-32x32.png">
</head>
<body>
  <div id="api"></div>
  <script src="/docs/static/swagger-ui-bundle.js"></script>
  <script src="/docs/static/init.js"></script>
</body>
</html>
"""


def page() -> Response:
    return Response(PAGE, content_type="text/html; charset=utf-8")


def static(name: str) -> Response:
    if name == "init.js":
        return Response(INIT, content_type="application/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=86400"})
    if name not in STATIC:
        raise NotFound(f"no file {name}")
    content = (swagger_ui_path / name).read_bytes()
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Response(content, content_type=kind,
                    headers={"Cache-Control": "public, max-age=86400"})
