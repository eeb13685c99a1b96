"""Paging of every collection of the API: `pageSize` and `cursor` in, a `Link` header and `_links` out.

A collection answers its first page of DEFAULT_PAGE_SIZE items (100: the 87 regions of the programme fit) without
parameters; `pageSize` asks for 1 to MAX_PAGE_SIZE (500; more is 400 naming `pageSize`), `cursor` for the page
after the one that gave it out (adapters/read_side/paging.py: an opaque keyset position; a cursor that is not one
is 400 naming `cursor`). When more items follow, the answer says how to get them twice, as the API Design Rules'
HAL convention and RFC 8288 have it: a `Link: <...>; rel="next"` header and `_links.next.href` in the body (both
the same relative URL: this request with the next cursor), and the bare cursor as `next_cursor` for clients that
build the URL themselves. The last page has neither a next link nor a next cursor (null). `_links.self.href` is
the request itself.
"""

# No `from __future__ import annotations`: FastAPI reads the parameter types from the signatures.

from typing import Annotated, Any, Callable, Iterable, Sequence

from fastapi import Query, Request, Response

from adapters.read_side.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Key, decode_cursor, encode_cursor, page_of

PageSize = Annotated[int, Query(alias="pageSize", ge=1, le=MAX_PAGE_SIZE,
                                description=f"items per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE})")]
Cursor = Annotated[str | None, Query(alias="cursor", max_length=1000,
                                     description="where the page starts: the cursor of the page before "
                                                 "(`next_cursor`, or take its `Link: rel=\"next\"` / "
                                                 "`_links.next.href` as it is); none for the first page")]

LINK_HEADER = {
    "description": "RFC 8288 link to the next page, `<URL>; rel=\"next\"`, when more items follow (absent on the "
                   "last page); the body's `_links.next.href` is the same URL",
    "schema": {"type": "string", "example": '</v1/regions?pageSize=100&cursor=eyJ2IjoxLCJrIjpbXX0>; rel="next"'},
}


def after(cursor: str | None, shape: Sequence[type]) -> Key | None:
    """The position in `cursor` for a list whose keys have `shape`; a cursor that is not one is 400 naming it."""
    return decode_cursor(cursor, shape, field="query.cursor")


def page_url(request: Request, cursor: str) -> str:
    """This request's path and query with `cursor` as its cursor (relative: right behind any proxy)."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"] + [("cursor", cursor)]
    return request.url.path + "?" + "&".join(f"{_quote(k)}={_quote(v)}" for k, v in query)


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="-_.~")


def paged(request: Request, response: Response, body: dict[str, Any], next_key: Key | Sequence[Any] | None,
          size: int) -> dict[str, Any]:
    """`body` as a page: its links and next cursor in the body, and the `Link` header on `response`."""
    cursor = encode_cursor(next_key) if next_key is not None else None
    links: dict[str, Any] = {"self": {"href": str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")}}
    if cursor is not None:
        links["next"] = {"href": page_url(request, cursor)}
        response.headers["Link"] = f'<{links["next"]["href"]}>; rel="next"'
    body["page_size"] = size
    body["next_cursor"] = cursor
    body["_links"] = links
    return body


def paged_list(request: Request, response: Response, body: dict[str, Any], field: str, items: Iterable[Any],
               key: Callable[[Any], Key], shape: Sequence[type], size: int, cursor: str | None) -> dict[str, Any]:
    """A list held in memory as one page (in the order of `key`) under `field` of `body`."""
    page = page_of(items, key, size, after(cursor, shape))
    body[field] = page.items
    return paged(request, response, body, page.next_key, size)
