"""The STO grant domain: aggregate, commands, events, rules and the regulation as dated data.

Nothing in this package does I/O or knows Temporal, HTTP, SQL or SMTP.
"""
