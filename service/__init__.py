"""The service layer over the fold: replay, audit, explain, scenarios, and reading policy files."""
