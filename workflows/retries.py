"""How the grant workflow retries its activities: an operator's command briefly, a consequence patiently."""

from __future__ import annotations

import datetime as dt

from temporalio.common import RetryPolicy

from workflows.failures import non_retryable_types

# Only a race between writers (or a store briefly unreachable) is retried, and not for ever: after about
# half a minute the update fails with the last error and the grant takes the next command.
COMMAND_RETRY = RetryPolicy(
    initial_interval=dt.timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=dt.timedelta(seconds=10),
    maximum_attempts=6,
    non_retryable_error_types=non_retryable_types(),
)
# A consequence of a passed deadline (and the vooraanmelding that starts the workflow) has no caller waiting:
# it is retried until the store answers, however long it is down; only a failure no retry can cure ends it.
PATIENT_RETRY = RetryPolicy(
    initial_interval=dt.timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=dt.timedelta(seconds=30),
    non_retryable_error_types=non_retryable_types(),
)
REMINDER_RETRY = RetryPolicy(  # a mail server may be down for a while: keep trying, patiently
    initial_interval=dt.timedelta(seconds=10),
    backoff_coefficient=2.0,
    maximum_interval=dt.timedelta(minutes=10),
)
# A besluit's letter (2026-12): made and recorded at once, then mailed; a mail server may be down for a while, so
# keep trying patiently; a letter that cannot be made at all (a fault in its template) is not retried.
LETTER_RETRY = RetryPolicy(
    initial_interval=dt.timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=dt.timedelta(minutes=10),
    non_retryable_error_types=non_retryable_types(),
)
