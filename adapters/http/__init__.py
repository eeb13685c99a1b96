"""The HTTP API (FastAPI, OpenAPI at /docs) and the back-office page, behind bearer tokens with roles.

Writes go through the grant workflows (adapters.engine.sender), reads come from the read models
(adapters.read_side.read_models), tokens from adapters.operators.tokens. `create_app` builds the app; `sto serve` runs it.
"""
