"""The Faust worker that runs a Tally app: Faust's, without the terminal spinner.

Faust's spinner turns once per log record, so Faust sets the root logger to DEBUG for it, whatever the log level asked
for. Every debug call of aiokafka and Faust (several per record sent) then builds a LogRecord that the handler drops:
in a cProfile of `bench/live.py` that was 225k records and about a tenth of the worker's time.
"""

import logging

import faust


class Worker(faust.Worker):
    def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
        self.spinner = None
        logger.setLevel(level)
