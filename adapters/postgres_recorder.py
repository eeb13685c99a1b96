"""The PostgreSQL recorder of eventsourcing, appending a command's events in one round trip.

The library appends in a pipelined transaction: SET LOCAL lock_timeout, LOCK TABLE ... IN EXCLUSIVE MODE,
NOTIFY, the INSERTs, a sync to learn the notification ids, then COMMIT. Its optional database function
(POSTGRES_ENABLE_DB_FUNCTIONS) does it in one statement, but leaves out the table lock: two writers could
then commit notification ids out of order, and a follower of the notification log (adapters/follower.py)
that has read id 11 would never see id 10 committed after it. The function here is the library's with the
lock put back, under a name of its own: one round trip, and commit order equals notification order.

Creating the tables and the function is serialised across processes by a transaction-scoped advisory lock
(two processes replacing one function at once would fail with "tuple concurrently updated").
"""

from __future__ import annotations

from typing import Any

from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg.sql import SQL, Identifier

DDL_LOCK = 0x5354_4F00  # "STO\0": any constant the team's databases do not use for another purpose


class LockingFunctionPostgresApplicationRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        function = f"sto_insert_events_{self.datastore.originator_id_type}"
        schema = Identifier(self.datastore.schema)
        table = Identifier(self.events_table_name)
        self.pg_function_name_insert_events = function
        self.sql_invoke_pg_function_insert_events = SQL("SELECT * FROM {schema}.{function}((%s))").format(
            schema=schema, function=Identifier(function)
        )
        self.sql_create_pg_function_insert_events = SQL(
            "CREATE OR REPLACE FUNCTION {schema}.{function}(events {schema}.{event}[]) "
            "RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ "
            "BEGIN "
            "    SET LOCAL lock_timeout = '{lock_timeout}s'; "
            "    LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE; "
            "    NOTIFY {channel}; "
            "    RETURN QUERY "
            "    INSERT INTO {schema}.{table} AS t (originator_id, originator_version, topic, state) "
            "    SELECT originator_id, originator_version, topic, state FROM unnest(events) "
            "    RETURNING notification_id; "
            "END; $BODY$"
        ).format(
            schema=schema,
            function=Identifier(function),
            event=Identifier(self.stored_event_type_name),
            lock_timeout=self.datastore.lock_timeout,
            channel=Identifier(self.channel_name),
            table=table,
        )
        self.sql_create_statements[self.create_insert_function_statement_index] = self.sql_create_pg_function_insert_events

    def _create_table(self, curs: Any) -> None:
        curs.execute(SQL("SELECT pg_advisory_xact_lock({0})").format(DDL_LOCK), prepare=False)
        super()._create_table(curs)


TOPIC = f"{__name__}:{LockingFunctionPostgresApplicationRecorder.__name__}"
