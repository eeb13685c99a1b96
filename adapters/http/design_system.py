"""NL Design System style sheets for the back office, served by the app itself (no CDN: the back office may have no
internet): the Utrecht component CSS and the "voorbeeld" theme's design tokens, from the npm packages pinned in
package-lock.json (`make install` puts them in node_modules/). A missing file is a 404 and a warning in the log:
the page still works, unstyled.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from adapters.logging import get_logger

log = get_logger(__name__)

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
SHEETS = {
    "utrecht.css": NODE_MODULES / "@utrecht" / "component-library-css" / "dist" / "index.css",
    "voorbeeld-theme.css": NODE_MODULES / "@nl-design-system-unstable" / "voorbeeld-design-tokens" / "dist" / "theme.css",
}
URL = "/static/nlds"


def router() -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.get(URL + "/{name}")
    def sheet(name: str) -> Response:
        path = SHEETS.get(name)
        if path is None or not path.exists():
            if path is not None:
                log.warning("page.style_sheet_missing", sheet=name, path=str(path), fix="run `make install` (npm ci)")
            return Response(status_code=404, content=f"no style sheet {name}: run `make install`", media_type="text/plain")
        return FileResponse(path, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})

    return routes
