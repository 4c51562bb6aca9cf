"""The second projection on the journal: Kuaishou's operator evaluation (seed 002), three scores that decide the
traffic, subsidies and activity entry an operator gets. `fold` is its pure fold, `policy` its file format."""
