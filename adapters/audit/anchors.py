"""Published heads of the chain (`sto audit anchor`): read them back, and check the store against each."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from adapters.audit.database import ChainDatabase
from adapters.audit.hashing import GENESIS, chain_hash
from adapters.event_store.sealing import content_hash


def read_anchors(path: str | Path) -> tuple[list[dict[str, Any]], list[int]]:
    """The published heads in an anchors file (JSON lines), each with its line number as `line`, and the
    numbers of the lines that are no published head (a line torn by a crash while it was appended)."""
    heads: list[dict[str, Any]] = []
    unreadable: list[int] = []
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise FileNotFoundError(f"no anchors file at {path}: give the file `sto audit anchor` published to") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            head = json.loads(line)
            seq, position, value = head["seq"], head["notification_id"], head["hash"]
            if type(seq) is not int or seq < 1 or type(position) is not int or not _is_hash(value):
                raise ValueError(line)
        except (ValueError, KeyError, TypeError):
            unreadable.append(number)
            continue
        heads.append({**head, "line": number})
    return heads, unreadable


def _is_hash(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def check_anchors(db: ChainDatabase, heads: list[dict[str, Any]]) -> dict[str, Any]:
    """The store against published heads: the chain recomputed from the records as they are now (not from
    the chain table, not from the seals), compared at each head's seq with its published hash and position.
    Names the first head (in chain order) that no longer matches, and the last one before it that does."""
    wanted = sorted(heads, key=lambda h: (h["seq"], h.get("line", 0)))
    result: dict[str, Any] = {"ok": True, "heads": len(wanted), "matched": 0, "first_mismatch": None, "last_match": None}

    def view(head: dict[str, Any]) -> dict[str, Any]:
        return {key: head.get(key) for key in ("line", "seq", "notification_id", "hash", "anchored_at", "store")}

    def mismatch(head: dict[str, Any], now_hash: str | None, now_position: int | None, records: int) -> dict[str, Any]:
        where = f"the head published at {head.get('anchored_at') or 'an unknown time'} (line {head.get('line')}: " \
                f"record {head['notification_id']}, seq {head['seq']})"
        if now_hash is None:
            message = (f"{where} no longer matches the store: published {head['hash']}, but the store now holds only "
                       f"{records} record(s): records up to record {head['notification_id']} were deleted")
        else:
            message = (f"{where} no longer matches the store: published {head['hash']}, the store's records now "
                       f"give {now_hash} at seq {head['seq']} (record {now_position}): a record up to record "
                       f"{head['notification_id']} was edited, deleted, inserted or reordered after this head was published")
        last = result["last_match"]
        if last is not None:
            message += (f"; the head published at {last.get('anchored_at')} (record {last['notification_id']}, seq "
                        f"{last['seq']}) still matches, so the change lies after record {last['notification_id']}")
        result["ok"] = False
        result["first_mismatch"] = {
            **view(head), "published_hash": head["hash"], "store_hash": now_hash,
            "store_notification_id": now_position, "message": message,
        }
        return result

    if not wanted:
        return result
    previous, seq, index = GENESIS, 0, 0
    for position, originator_id, version, topic, state, _ in db.events(up_to=db.last_position()):
        seq += 1
        previous = chain_hash(previous, position, content_hash(originator_id, version, topic, state))
        while index < len(wanted) and wanted[index]["seq"] == seq:
            head = wanted[index]
            if head["hash"] != previous or head["notification_id"] != position:
                return mismatch(head, previous, position, seq)
            result["matched"] += 1
            result["last_match"] = view(head)
            index += 1
        if index == len(wanted):
            return result
    return mismatch(wanted[index], None, None, seq)


# --- opening ---------------------------------------------------------------------------------
