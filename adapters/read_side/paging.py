"""Keyset (cursor) paging of every list the engine answers, for the API and the CLI alike.

A page is the next `size` items after a position in the list's sort order; the position is the sort key of the
last item of the previous page. The key goes out as an opaque cursor (base64url, no padding, of the JSON
`{"v": 1, "k": [...]}`), so a client asks for "the page after this one" and never for an offset: an item added
or removed before the cursor moves nothing after it, so a walk through the pages while grants are added lists
no row twice and skips none of those that were there when it started (and lists a new one when its key falls
after the cursor).

A cursor is read strictly: anything but a version-1 key of the list's own shape (its number of parts and the
type of each) is invalid input that names the parameter (`cursor` in the API, `--after` in the CLI), never a
server error. A cursor is no secret and carries no right: the filters and the token's access apply to every
page as to the first.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from domain.errors import InvalidInput

DEFAULT_PAGE_SIZE = 100  # at least the 87 regions of the programme: a client that never pages sees all of them
MAX_PAGE_SIZE = 500
CURSOR_VERSION = 1
MAX_CURSOR_LENGTH = 1000

Key = tuple[Any, ...]


def encode_cursor(key: Sequence[Any]) -> str:
    raw = json.dumps({"v": CURSOR_VERSION, "k": list(key)}, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, shape: Sequence[type], *, field: str = "query.cursor") -> Key | None:
    """The sort key in `cursor` (None for none), if it has the list's shape (one type per part); else InvalidInput."""
    if cursor is None or cursor == "":
        return None

    def bad(why: str) -> InvalidInput:
        return InvalidInput(f"the cursor is not one this list gave out ({why})", field=field,
                            hint="use the cursor of the previous page as it came (its `next` link), or leave it out "
                                 "for the first page")

    if len(cursor) > MAX_CURSOR_LENGTH or not cursor.isascii():
        raise bad("too long or not base64url")
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad("not base64url JSON") from None
    if not isinstance(data, dict) or data.get("v") != CURSOR_VERSION or not isinstance(data.get("k"), list):
        raise bad("not a version-1 cursor")
    key = data["k"]
    if len(key) != len(shape) or not all(type(part) is kind for part, kind in zip(key, shape)):
        raise bad("not a position in this list")
    return tuple(key)


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_key: Key | None  # the key of the last item, when more may follow

    @property
    def next_cursor(self) -> str | None:
        return encode_cursor(self.next_key) if self.next_key is not None else None


def page_of(items: Iterable[Any], key: Callable[[Any], Key], size: int, after: Key | None) -> Page:
    """One page of a list held in memory: the `size` items after `after` in the order of `key` (unique per item)."""
    ordered = sorted((item for item in items if after is None or key(item) > after), key=key)
    found = ordered[:size]
    more = len(ordered) > size
    return Page(found, key(found[-1]) if more and found else None)


# --- the keys of the lists (each list's sort order, unique per item) --------------------------------------------

GRANT_KEY_SHAPE = (str, str, str)  # region code, scheme, grant id (adapters.read_side.tables.SORT_KEY)
DEADLINE_KEY_SHAPE = (str, str, str, str)  # due, region code, scheme, the deadline's key


def deadline_key(d: dict[str, Any]) -> tuple[str, str, str, str]:
    """A pending deadline's place in the deadlines list (earliest first)."""
    return d["due"], d["region_code"], d.get("scheme") or "", d["key"]


# --- the filters of the grants list -------------------------------------------------------------------------

# The stage of a grant's life, by status: the stages of domain/decide (application, decisions, execution, ending).
STAGES: dict[str, tuple[str, ...]] = {
    "application": ("pre_registered", "application_submitted", "repair_requested", "under_assessment", "advised"),
    "decision": ("rejected", "in_objection"),
    "execution": ("approved", "final_report_submitted"),
    "ended": ("determined", "withdrawn", "lapsed"),
}
MAX_SEARCH_LENGTH = 100


@dataclass(frozen=True)
class GrantFilter:
    """What the grants list is narrowed to; None: no narrowing on that field."""

    status: str | None = None
    scheme: str | None = None
    kind: str | None = None
    stage: str | None = None
    q: str | None = None  # a piece of the region code, the region's name or the penvoerder's name (any case)
    within_days: int | None = None  # only grants with a pending deadline due within DAYS (passed ones count)

    def any(self) -> bool:
        return any(value not in (None, "") for value in self.__dict__.values())
