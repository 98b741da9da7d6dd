"""The desk's ASGI app: the API and pages over a :class:`Desk`, behind :class:`Access`."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

import jinja2
import swagger_ui_bundle
from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.trustedhost import TrustedHostMiddleware

from search.web import api, digests, pages
from search.web.desk import Desk
from search.web.queries import BadQuery
from search.web.security import SECURITY_HEADERS, Access, cross_origin, is_loopback
from search.web.views import safe_url

HERE = Path(__file__).parent
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]", "::1"]


def create_app(desk: Desk, access: Access | None = None, host: str = "127.0.0.1") -> FastAPI:
    """The app; ``host`` is the address it is bound to: on loopback, requests naming another
    host (DNS rebinding) are refused."""
    access = access or Access()

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        yield
        desk.close()

    app = FastAPI(
        title="MedRadar",
        description="Bilingual medtech deal search: articles, events, watches.",
        docs_url=None,  # our own /docs page: Swagger UI from local files, no inline script
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.desk = desk
    app.state.access = access
    # Autoescaping everywhere, whatever the file name: scraped text is only ever text.
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)
    environment.filters["safe_url"] = safe_url
    templates = Jinja2Templates(env=environment)
    app.state.templates = templates

    @app.middleware("http")
    async def guard(request: Request, call_next) -> Response:
        if cross_origin(request):
            response: Response = _error(403, "forbidden", "cross-origin request refused")
        elif not access.allows(request):
            if request.url.path.startswith("/api/"):
                response = _error(401, "unauthorized", "send Authorization: Bearer <MEDRADAR_API_TOKEN>")
                response.headers["WWW-Authenticate"] = "Bearer"
            else:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                response = RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
        else:
            response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)  # a route may set a stricter policy of its own (digests)
        return response

    if is_loopback(host):
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=[*LOOPBACK_HOSTS, host])

    @app.exception_handler(BadQuery)
    async def bad_query(request: Request, problem: BadQuery) -> Response:
        return _error(400, "bad_query", str(problem))

    @app.exception_handler(ValueError)
    async def bad_value(request: Request, problem: ValueError) -> Response:
        # The index refuses the query as given (e.g. a paging cursor of another query).
        return _error(400, "bad_query", str(problem))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, problem: RequestValidationError) -> Response:
        first = problem.errors()[0]
        where = ".".join(str(part) for part in first["loc"] if part not in ("query", "body"))
        return _error(422, "invalid_parameter", f"{where}: {first['msg']}", detail=jsonable_encoder(problem.errors()))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, problem: HTTPException) -> Response:
        names = {400: "bad_query", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                 422: "invalid_parameter"}
        return _error(problem.status_code, names.get(problem.status_code, "error"), str(problem.detail))

    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(digests.router)
    app.mount("/static/swagger", StaticFiles(directory=str(swagger_ui_bundle.swagger_ui_path)), name="swagger")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    return app


def _error(status: int, error: str, why: str, detail: object = None) -> JSONResponse:
    body: dict[str, object] = {"error": error, "reason": why}
    if detail is not None:
        body["detail"] = detail
    return JSONResponse(body, status_code=status)
