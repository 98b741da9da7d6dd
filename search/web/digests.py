"""The digest archive on the desk: ``GET /api/digests`` lists the archived weekly digests,
``/digests`` shows the list, ``/digests/PROFILE/WEEK`` the digest as it was mailed (its chart
at ``/digests/PROFILE/WEEK.png``).

The archive is files the pipeline wrote (``<data_dir>/digests/PROFILE/WEEK.html``, ``.png``,
``.json``); the desk is only given their folder. Names are checked against the patterns the
pipeline writes, so a request cannot reach another file. A digest page gets a policy of its
own: no script at all, its inline styles, images from the desk only, and ``sandbox``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel, Field

from search.web.api import DeskDep

router = APIRouter()
PROFILE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
WEEK = re.compile(r"^\d{4}-W\d{2}$")
DIGEST_POLICY = (
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'; sandbox allow-popups allow-popups-to-escape-sandbox"
)


class ArchivedDigest(BaseModel):
    profile: str
    week: str
    subject: str
    empty: bool = False
    items: dict[str, int] = Field(default_factory=dict, description="items shown per section")
    url: str = Field(description="the digest page on this desk")


def archived(digests_dir: Path | None) -> list[ArchivedDigest]:
    """Every archived digest, newest week first."""
    if digests_dir is None or not digests_dir.is_dir():
        return []
    found = []
    for summary in digests_dir.glob("*/*.json"):
        profile, week = summary.parent.name, summary.stem
        if not (PROFILE.match(profile) and WEEK.match(week) and summary.with_suffix(".html").is_file()):
            continue
        try:
            data = json.loads(summary.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # being replaced, or not ours
        found.append(ArchivedDigest(
            profile=profile, week=week, subject=str(data.get("subject", "")), empty=bool(data.get("empty")),
            items={k: v for k, v in (data.get("items") or {}).items() if isinstance(v, int)}, url=f"/digests/{profile}/{week}",
        ))  # fmt: skip
    return sorted(found, key=lambda d: (d.week, d.profile), reverse=True)


@router.get("/api/digests", response_model=list[ArchivedDigest], tags=["api"])
def list_digests(desk: DeskDep) -> list[ArchivedDigest]:
    """The archived weekly digests, newest week first."""
    return archived(desk.digests_dir)


@router.get("/digests", response_class=HTMLResponse, include_in_schema=False)
def digests_page(request: Request, desk: DeskDep) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(request, "digests.html", {"digests": archived(desk.digests_dir)})


@router.get("/digests/{profile}/{name}", include_in_schema=False)
def digest_file(desk: DeskDep, profile: str, name: str) -> FileResponse:
    week, _, extension = name.partition(".")
    if desk.digests_dir is None or not PROFILE.match(profile) or not WEEK.match(week) or extension not in ("", "png"):
        raise HTTPException(404, f"no digest {profile}/{name}")
    path = desk.digests_dir / profile / f"{week}.{extension or 'html'}"
    if not path.is_file():
        raise HTTPException(404, f"no digest {profile}/{name}")
    if extension == "png":
        return FileResponse(path, media_type="image/png")
    return FileResponse(path, media_type="text/html; charset=utf-8", headers={"Content-Security-Policy": DIGEST_POLICY})
