"""The documentation's machinery: the reference pages generated from the code at build time (reference.py), the
MkDocs hook that adds them to the site (hooks.py), and the reader of the docs' shell examples (examples.py)."""
