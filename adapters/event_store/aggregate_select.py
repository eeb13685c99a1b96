"""The one statement both lean recorders read an aggregate's events with: three columns, the library's filters.

Every row it returns is the asked aggregate's, so the recorders reuse the id they were given instead of reading
it back. Pure: the text and its parameters (after the originator id), for a placeholder of the driver's style.
"""

from __future__ import annotations


def aggregate_events_select(table: str, mark: str, *, gt: int | None, lte: int | None, desc: bool,
                            limit: int | None) -> tuple[str, list[int]]:
    text = f"SELECT originator_version, topic, state FROM {table} WHERE originator_id = {mark}"
    params: list[int] = []
    if gt is not None:
        text += f" AND originator_version > {mark}"
        params.append(gt)
    if lte is not None:
        text += f" AND originator_version <= {mark}"
        params.append(lte)
    text += " ORDER BY originator_version " + ("DESC" if desc else "ASC")
    if limit is not None:
        text += f" LIMIT {mark}"
        params.append(limit)
    return text, params
