"""Read models rebuilt from the event log: the grant rows (overview and budget ledger), the audit timeline,
and the deadline calendar. Pure: handlers work on raw decoded payloads; the SQL lives in adapters/."""
