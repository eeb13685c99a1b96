"""The PostgreSQL recorder of eventsourcing, appending a command's events in one round trip, and sealing
every record it stores.

The library appends in a pipelined transaction: SET LOCAL lock_timeout, LOCK TABLE ... IN EXCLUSIVE MODE,
NOTIFY, the INSERTs, a sync to learn the notification ids, then COMMIT. Its optional database function
(POSTGRES_ENABLE_DB_FUNCTIONS) does it in one statement, but leaves out the table lock: two writers could
then commit notification ids out of order, and a follower of the notification log (adapters/read_side/follower.py)
that has read id 11 would never see id 10 committed after it. The function here is the library's with the
lock put back, under a name of its own: one round trip, and commit order equals notification order.

Sealing: the function also takes each record's content hash (as defined in adapters/event_store/sealing.py,
computed here before the call, outside the table lock) and inserts it into the append-only table
`audit_sealed` under the record's notification id, in the same statement as the record: what was stored
is fixed when it is committed, before any catch-up chains it, and a failed append leaves neither record
nor seal. (Without database functions, the library's pipelined transaction inserts the seals after the
records, before its COMMIT.) The function of earlier versions, `sto_insert_events_<type>(events)`, is
left in older databases but no longer called.

Creating the tables and the function is serialised across processes by a transaction-scoped advisory lock
(two processes replacing one function at once would fail with "tuple concurrently updated").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from adapters.event_store.sealing import SEAL_TABLE, content_hash, seal_table_ddl
from adapters.event_store.aggregate_select import SelectsEventRows, aggregate_events_select

DDL_LOCK = 0x5354_4F00  # "STO\0": any constant the team's databases do not use for another purpose


def seals_of(stored_events: Sequence[StoredEvent]) -> list[str]:
    return [content_hash(e.originator_id, e.originator_version, e.topic, e.state) for e in stored_events]


class LockingFunctionPostgresApplicationRecorder(SelectsEventRows, PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        self._select_texts: dict[str, str] = {}  # aggregate_events_select's text -> as rendered for this schema
        super().__init__(datastore, events_table_name=events_table_name)
        function = f"sto_insert_sealed_events_{self.datastore.originator_id_type}"
        schema = Identifier(self.datastore.schema)
        table = Identifier(self.events_table_name)
        seals = Identifier(SEAL_TABLE)
        self.pg_function_name_insert_events = function
        self.sql_invoke_pg_function_insert_events = SQL("SELECT * FROM {schema}.{function}((%s), (%s))").format(
            schema=schema, function=Identifier(function)
        )
        self.sql_create_pg_function_insert_events = SQL(
            "CREATE OR REPLACE FUNCTION {schema}.{function}(events {schema}.{event}[], seals text[]) "
            "RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ "
            "BEGIN "
            "    SET LOCAL lock_timeout = '{lock_timeout}s'; "
            "    LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE; "
            "    NOTIFY {channel}; "
            "    RETURN QUERY "
            "    WITH given AS ("
            "        SELECT * FROM unnest(events) WITH ORDINALITY AS g(originator_id, originator_version, topic, state, i)"
            "    ), stored AS ("
            "        INSERT INTO {schema}.{table} AS t (originator_id, originator_version, topic, state) "
            "        SELECT originator_id, originator_version, topic, state FROM given ORDER BY i "
            "        RETURNING t.notification_id, t.originator_id, t.originator_version"
            "    ), sealed AS ("
            "        INSERT INTO {schema}.{seals} (notification_id, content_hash) "
            "        SELECT stored.notification_id, seals[given.i] FROM stored JOIN given "
            "        ON given.originator_id = stored.originator_id AND given.originator_version = stored.originator_version"
            "    ) "
            "    SELECT stored.notification_id FROM stored; "
            "END; $BODY$"
        ).format(
            schema=schema,
            function=Identifier(function),
            event=Identifier(self.stored_event_type_name),
            lock_timeout=self.datastore.lock_timeout,
            channel=Identifier(self.channel_name),
            table=table,
            seals=seals,
        )
        self.sql_create_statements[self.create_insert_function_statement_index] = self.sql_create_pg_function_insert_events
        self.sql_create_statements.extend(SQL(s) for s in seal_table_ddl("postgres", self.datastore.schema))
        self.sql_insert_seals = SQL(
            "INSERT INTO {schema}.{seals} (notification_id, content_hash) SELECT * FROM unnest(%s::bigint[], %s::text[])"
        ).format(schema=schema, seals=seals)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if not self.datastore.enable_db_functions:
            return super().insert_events(stored_events, **kwargs)  # sealed in _fetch_ids_after_insert_events
        return self._insert_sealed_events(stored_events)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _insert_sealed_events(self, stored_events: Sequence[StoredEvent]) -> Sequence[int]:
        events = [
            self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state) for e in stored_events
        ]
        seals = seals_of(stored_events)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.sql_invoke_pg_function_insert_events, (events, seals), prepare=True)
            return [r[self.pg_function_name_insert_events] for r in curs.fetchall()]

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        notification_ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if notification_ids:
            curs.execute(self.sql_insert_seals, (list(notification_ids), seals_of(stored_events)))
        return notification_ids

    def select_event_rows(
        self, originator_id: UUID, *, gt: int | None = None, lte: int | None = None, desc: bool = False,
        limit: int | None = None,
    ) -> list[tuple[int, str, bytes]]:
        """The aggregate's rows (version, topic, state), read as plain tuples, with the statement rendered once per
        shape instead of composed on every call."""
        text, filters = aggregate_events_select("{table}", "%s", gt=gt, lte=lte, desc=desc, limit=limit)
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            statement = self._select_texts.get(text)
            if statement is None:
                table = Identifier(self.datastore.schema, self.events_table_name)
                statement = self._select_texts[text] = SQL(text).format(table=table).as_string(conn)
            curs.execute(statement, [originator_id, *filters], prepare=True)
            return curs.fetchall()  # bytea arrives as bytes

    def _create_table(self, curs: Any) -> None:
        curs.execute(SQL("SELECT pg_advisory_xact_lock({0})").format(DDL_LOCK), prepare=False)
        super()._create_table(curs)


TOPIC = f"{__name__}:{LockingFunctionPostgresApplicationRecorder.__name__}"
