"""Make docs/letter-example.png: page 1 of a decision letter (a verlening of STO 2020–2024), with pypdfium2.

    .venv/bin/python -m docs.letter_png      (or: .venv/bin/python docs/letter_png.py)

The letter comes from the engine itself (a scripted grant on the in-memory store), so the picture shows what
the engine sends."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    import pypdfium2 as pdfium

    from adapters.event_store.store import open_service
    from adapters.letters.blobs import blobs_for
    from adapters.letters.issue import issue_letters
    from tests.support.scripted import GrantScript

    service = open_service("memory:")
    script = GrantScript(service, index=1)
    script.to_approved()
    state = issue_letters(service, None, script.code, None)
    data = blobs_for(service).get(state.letters[0].sha256)
    page = pdfium.PdfDocument(data)[0]
    image = page.render(scale=1.4).to_pil()
    out = ROOT / "docs" / "letter-example.png"
    image.save(out, optimize=True)
    print(out)


if __name__ == "__main__":
    main()
