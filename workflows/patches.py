"""Every change to the grant workflow's code that alters its commands, by the name of its `workflow.patched`.

A workflow running when the change lands replays its history without the change (the patch answers False
where the history has no marker) and takes the new path from then on; the tests replay histories recorded
before each change (tests/fixtures/histories). Names are never reused or removed while a recorded history
may still hold them.
"""

from __future__ import annotations

PATCH_ACT_AGAIN = "act-again-when-time-moved-during-acting"  # 2026-11: a timer was set past a deadline
PATCH_COMBINED_REMINDERS = "one-reminder-per-date"  # 2026-11: deadlines on one date share one message
PATCH_QUIET_REPLANS = "wake-only-for-regulation-changes-that-matter"  # 2026-11: fewer timers per grant
PATCH_RECEIPTS = "repeated-command-answered-from-its-receipt"  # 2026-12: a retry runs no activity, says duplicate
PATCH_SCHEME_ATTRIBUTE = "scheme-search-attribute"  # 2026-12: the grant's scheme is a search attribute too
PATCH_OBJECTION_AFTER_END = "watch-the-objection-term-of-the-last-besluit"  # 2026-12: a vaststelling or intrekking
# is a besluit too: the workflow lives on until its objection term has passed
PATCH_LOCAL_CONSEQUENCE = "consequence-as-local-activity"  # 2026-12: a passed deadline's consequence runs in the
# workflow task that noticed it (one task instead of two, no activity task): an agency's deadline falls on one
# instant for every grant, and the burst of 10,000 then costs half the server round trips
PATCH_DECISION_LETTERS = "decision-letters"  # 2026-12: every besluit gets its letter (an activity after the step)
PATCH_STAGE_REMINDERS = "stage-reminders"  # 2026-12: DUS-I's reminders name the stage a besluit waits in, to its role
PATCH_KEPT_TIMERS = "wake-up-timer-kept-until-it-rings"  # 2026-12: an update no longer cancels the wait's timer
# (workflows/alarm.py): no CancelTimer, which the time-skipping server refuses when the timer fired meanwhile
