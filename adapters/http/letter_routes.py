"""GET /v1/.../grants/{region}/letters: the decision letters (beschikkingen) of one grant, and each PDF.

Operators, auditors and the grant's own region (Access.GRANT: another region's token gets 403, as for every
read of a grant). A letter is addressed by its sha256, the hash its DecisionLetterIssued event recorded; the
bytes are checked against it before they go out.
"""

# No `from __future__ import annotations`: FastAPI reads the parameter types from the signatures.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from adapters.http.access import Access, GuardedRoute, access, bearer
from adapters.http.errors import ApiError
from adapters.http.paging import Cursor, PageSize, paged_list
from adapters.read_side.paging import DEFAULT_PAGE_SIZE
from adapters.http.read_routes import GRANT_RESPONSES, known
from adapters.http.transitions import SCHEMED, RegionPath, SchemePath
from adapters.http.versioning import PREFIX
from adapters.letters.blobs import blobs_for
from domain.regulation.schemes import legacy_scheme_id

HashPath = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="the letter's sha256 (from the list)")]


def letters_view(service: Any, region: str, scheme: str | None) -> dict[str, Any]:
    state = service.state(region.upper(), scheme=scheme)
    scheme_id = state.scheme or legacy_scheme_id()
    base = f"{PREFIX}{SCHEMED.replace('{scheme}', scheme_id)}/grants/{state.region_code}/letters"
    besluiten = {b.number: b for b in state.besluiten}
    return {
        "region_code": state.region_code,
        "scheme": scheme_id,
        "letters": [
            {
                "besluit": letter.besluit,
                "kind": letter.kind,
                "decided_on": besluiten[letter.besluit].decided_on.isoformat() if letter.besluit in besluiten else None,
                "issued_on": letter.issued_on.isoformat(),
                "objection_deadline": letter.objection_deadline.isoformat() if letter.objection_deadline else None,
                "filename": letter.filename,
                "sha256": letter.sha256,
                "size": letter.size,
                "template": f"{letter.template} v{letter.template_version}",
                "sent_to": letter.sent_to,
                "href": f"{base}/{letter.sha256}",
            }
            for letter in state.letters
        ],
        "without_letter": [b.number for b in state.besluiten_without_letter(service.installation.letters_owed_from)],
    }


def letter_pdf(service: Any, region: str, scheme: str | None, digest: str) -> Response:
    state = service.state(region.upper(), scheme=scheme)
    record = next((letter for letter in state.letters if letter.sha256 == digest), None)
    data = blobs_for(service).get(digest) if record is not None else None
    if record is None or data is None:
        raise ApiError("not_found", f"the grant of {state.region_code} has no letter {digest[:12]}…",
                       "list the grant's letters at …/letters")
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{record.filename}"',
        "ETag": f'"{digest}"',
        "Cache-Control": "private, max-age=31536000, immutable",
    })


LETTER_KEY_SHAPE = (int, str)  # the besluit's number, the letter's sha256


def letters_page(request: Request, response: Response, view: dict[str, Any], page_size: int,
                 cursor: str | None) -> dict[str, Any]:
    """A grant's letters a page at a time, in the order of their besluiten."""
    return paged_list(request, response, view, "letters", view["letters"], lambda l: (l["besluit"], l["sha256"]),
                      LETTER_KEY_SHAPE, page_size, cursor)


PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    **GRANT_RESPONSES, 200: {"content": {"application/pdf": {}}, "description": "the letter as PDF (the same bytes on every download)"},
}


def router() -> APIRouter:
    routes = APIRouter(prefix=PREFIX, tags=["letters"], route_class=GuardedRoute, dependencies=[Depends(bearer)])

    @routes.get("/grants/{region}/letters", responses=GRANT_RESPONSES, openapi_extra=access(Access.GRANT),
                summary="The decision letters (beschikkingen) of the region's grant, one per besluit, with links")
    def letters(request: Request, response: Response, region: RegionPath, page_size: PageSize = DEFAULT_PAGE_SIZE,
                cursor: Cursor = None) -> dict[str, Any]:
        return letters_page(request, response, letters_view(request.app.state.api.service, region, None), page_size, cursor)

    @routes.get(SCHEMED + "/grants/{region}/letters", responses=GRANT_RESPONSES, openapi_extra=access(Access.GRANT),
                summary="The decision letters of the region's grant in this scheme, one per besluit, with links")
    def letters_in_scheme(request: Request, response: Response, scheme: SchemePath, region: RegionPath,
                          page_size: PageSize = DEFAULT_PAGE_SIZE, cursor: Cursor = None) -> dict[str, Any]:
        return letters_page(request, response, letters_view(request.app.state.api.service, region, known(scheme)),
                            page_size, cursor)

    @routes.get("/grants/{region}/letters/{digest}", responses=PDF_RESPONSE, openapi_extra=access(Access.GRANT),
                response_class=Response, summary="One decision letter as PDF, by its sha256")
    def letter(request: Request, region: RegionPath, digest: HashPath) -> Response:
        return letter_pdf(request.app.state.api.service, region, None, digest)

    @routes.get(SCHEMED + "/grants/{region}/letters/{digest}", responses=PDF_RESPONSE, openapi_extra=access(Access.GRANT),
                response_class=Response, summary="One decision letter of the region's grant in this scheme, as PDF")
    def letter_in_scheme(request: Request, scheme: SchemePath, region: RegionPath, digest: HashPath) -> Response:
        return letter_pdf(request.app.state.api.service, region, known(scheme), digest)

    return routes



