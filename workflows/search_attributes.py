"""The grant workflow's search attributes: what the web UI and list queries filter on."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

REGION = SearchAttributeKey.for_keyword("StoRegion")
STATUS = SearchAttributeKey.for_keyword("StoStatus")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("StoNextDeadline")
SCHEME = SearchAttributeKey.for_keyword("StoScheme")
SEARCH_ATTRIBUTES = [REGION, STATUS, NEXT_DEADLINE, SCHEME]
