"""The API documentation pages (/docs: Swagger UI, /redoc: ReDoc) served without a CDN.

FastAPI's own pages load their scripts from a CDN, which leaves them blank on a machine without internet
(such as the back office's). The scripts come from the pinned `fastapi-offline` package instead, served
by the app itself under /docs-assets. Each page carries its own Content-Security-Policy (adapters.http.headers).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from adapters.http.headers import docs_policy
from adapters.http.versioning import OPENAPI_URL

ASSETS_URL = "/docs-assets"


def assets_directory() -> Path:
    return Path(str(files("fastapi_offline") / "static"))


def with_policy(page: HTMLResponse, *, redoc: bool = False) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = docs_policy(bytes(page.body).decode(), redoc=redoc)
    return page


def install(app: FastAPI) -> None:
    """Serve /docs and /redoc from local assets (the app must be created with docs_url=None, redoc_url=None)."""
    openapi_url = app.openapi_url or OPENAPI_URL
    title = f"{app.title}: API"
    app.mount(ASSETS_URL, StaticFiles(directory=assets_directory()), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return with_policy(get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
        ))

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return with_policy(get_redoc_html(
            openapi_url=openapi_url,
            title=title,
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        ), redoc=True)
