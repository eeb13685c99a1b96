"""The money that follows a grant's besluiten: its ledger (aggregate.py: commitments, instalments released by two
people, instructed in one batch, paid or returned; suspension; settlement and claims), what follows from the
grant's own events (follow.py), the rules of release (release.py), and the payment run (run.py)."""
