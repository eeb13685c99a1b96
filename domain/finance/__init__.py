"""The money's terms that are law, not practice: the statutory interest on a debt in default (Awb 4:98, BW 6:119)
with its dated rate table. Pure: the only file read is the shipped rate table, at import."""
