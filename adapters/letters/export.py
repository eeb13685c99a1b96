"""Write the decision letters of every grant in a store to a directory (the demo's var/demo/letters/)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adapters.letters.blobs import blobs_for


def export_letters(service: Any, directory: Path) -> list[tuple[str, str, Path]]:
    """(region, kind, path) of every letter written, grant by grant in the store's order."""
    blobs = blobs_for(service)
    written: list[tuple[str, str, Path]] = []
    for scheme, region in list(service.grant_keys()):
        state = service.state(region, scheme=scheme)
        for letter in state.letters:
            data = blobs.get(letter.sha256)
            if data is None:
                continue
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / letter.filename
            path.write_bytes(data)
            written.append((state.region_code, letter.kind, path))
    return written


def report_section(written: list[tuple[str, str, Path]], relative_to: Path, per_kind: int = 2) -> str:
    """A few letters of each kind, linked from the report."""
    import html

    if not written:
        return ""
    shown: dict[str, int] = {}
    items = []
    for region, kind, path in written:
        if shown.get(kind, 0) >= per_kind:
            continue
        shown[kind] = shown.get(kind, 0) + 1
        href = html.escape(str(path.relative_to(relative_to)))
        items.append(f'<li><a href="{href}">{html.escape(region)}: {html.escape(kind)}</a></li>')
    return (f"<h2>Decision letters</h2><p>{len(written)} letters (one per besluit) in "
            f"<code>letters/</code>; a few of each kind:</p><ul>{''.join(items)}</ul>")
