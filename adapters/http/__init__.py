"""The HTTP API (FastAPI, OpenAPI at /docs) and the back-office page, behind bearer tokens with roles.

Writes go through the grant workflows (adapters.operator_commands), reads come from the read models
(adapters.read_models), tokens from adapters.tokens. `create_app` builds the app; `sto serve` runs it.
"""
