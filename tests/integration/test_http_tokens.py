"""Tokens live in the configured store's own database (SQLite file or PostgreSQL schema): issued by one process
(`sto token create`), verified by another (the API), revoked for both."""

from __future__ import annotations

from adapters.operators.tokens import TokenStore


def test_a_token_issued_in_one_process_is_known_and_revoked_in_another(store_url):
    cli, api = TokenStore(store_url), TokenStore(store_url)
    try:
        issued = cli.issue("accountant.bakker", "auditor", created_by="beheer")
        assert api.verify(issued.token).name == "accountant.bakker"
        cli.revoke(issued.info.token_id, revoked_by="beheer")
        assert api.verify(issued.token) is None
        assert [t.active for t in api.list(include_revoked=True)] == [False]
    finally:
        cli.close()
        api.close()


def test_tokens_outlive_the_process_that_stored_them(store_url):
    first = TokenStore(store_url)
    issued = first.issue("op.jansen", "operator", created_by="beheer")
    first.close()
    again = TokenStore(store_url)
    try:
        assert again.verify(issued.token).token_id == issued.info.token_id
    finally:
        again.close()
