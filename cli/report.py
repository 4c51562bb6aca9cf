"""`tally report` (being written): a self-contained HTML report of a creator or the population."""


def register(subparsers) -> None:
    pass
