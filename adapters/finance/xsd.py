"""The official ISO 20022 schemas (adapters/finance/schemas/, with where each came from) and a check against them.

Each schema is compiled once per process (libxml2 through lxml to decide, xmlschema to word what is wrong). XML from outside is read
by one hardened parser: no entities resolved, no network, no DTD loaded, so a statement cannot read our files or
reach a host (XXE).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import xmlschema
from lxml import etree

SCHEMAS_DIR = Path(__file__).parent / "schemas"
PAIN_001_001_09 = "pain.001.001.09"
CAMT_053_001_02 = "camt.053.001.02"
CAMT_053_001_08 = "camt.053.001.08"
SHIPPED = (PAIN_001_001_09, CAMT_053_001_02, CAMT_053_001_08)
MAX_ERRORS = 20


class SchemaViolation(ValueError):
    """A document does not conform to its ISO 20022 schema. `problems` lists the first few faults."""

    def __init__(self, name: str, problems: list[str]):
        super().__init__(f"not a valid {name} document: " + "; ".join(problems[:3]))
        self.name = name
        self.problems = problems


def namespace(name: str) -> str:
    return f"urn:iso:std:iso:20022:tech:xsd:{name}"


@lru_cache(maxsize=None)
def schema(name: str) -> xmlschema.XMLSchema:
    if name not in SHIPPED:
        raise ValueError(f"no schema {name!r} is shipped; there are {', '.join(SHIPPED)}")
    return xmlschema.XMLSchema(str(SCHEMAS_DIR / f"{name}.xsd"))


def parser() -> etree.XMLParser:
    """The parser for every XML document that comes from outside."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           remove_blank_text=False)


def parse(document: bytes) -> etree._Element:
    return etree.fromstring(document, parser())


@lru_cache(maxsize=None)
def _libxml2_schema(name: str) -> etree.XMLSchema:
    schema(name)  # the same check of the name
    return etree.XMLSchema(etree.parse(str(SCHEMAS_DIR / f"{name}.xsd"), parser()))


def problems(document: bytes | etree._Element, name: str) -> list[str]:
    """The schema's faults in the document (at most MAX_ERRORS); empty when it conforms. libxml2 decides (a batch of
    10,000 transfers in a tenth of a second); xmlschema words the faults of a document that does not conform."""
    root = parse(document) if isinstance(document, bytes) else document
    try:
        if _libxml2_schema(name).validate(root):
            return []
    except etree.LxmlError:  # e.g. an entity left unresolved: not valid; xmlschema says why
        pass
    found = []
    for error in schema(name).iter_errors(root):
        found.append(f"{error.path}: {error.reason}" if error.path else str(error.reason))
        if len(found) >= MAX_ERRORS:
            break
    return found


def check(document: bytes | etree._Element, name: str) -> None:
    """SchemaViolation unless the document conforms to the named ISO 20022 schema."""
    found = problems(document, name)
    if found:
        raise SchemaViolation(name, found)
