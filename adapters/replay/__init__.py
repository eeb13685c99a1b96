"""The historic replay of the STO programme (`sto demo`)."""
