"""The `tally` command: thin entry points over projections/ and streams/."""
