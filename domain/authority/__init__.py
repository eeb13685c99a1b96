"""Who may decide: the people of DUS-I, their roles per scheme and their mandates (register.py), and the rules
that hold for every path a besluit can take (rules.py: roles, four eyes, mandate limits, Awb 10:3 lid 3)."""
