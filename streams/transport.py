"""Two startup/latency adjustments to Faust 0.15.3: a configurable fetch wait, and no idle second in table start.

The fetch wait:

Faust 0.15.3 creates its AIOKafkaConsumer with fetch_max_wait_ms=1500 and no setting
to change it. Brokers that hold a fetch for the whole wait even when data is there
(tansu does) then add up to 1.5 s to every hop. We lower it on the consumer object
after Faust builds it and before it starts (the fetcher reads it at start).
"""

from faust.tables import TableManager
from faust.transport.drivers import aiokafka as driver


class LowLatencyConsumerThread(driver.AIOKafkaConsumerThread):
    fetch_max_wait_ms = 10

    def _create_worker_consumer(self, transport):  # type: ignore[override]
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = self.fetch_max_wait_ms
        return consumer


class LowLatencyConsumer(driver.Consumer):
    def _new_consumer_thread(self) -> driver.AIOKafkaConsumerThread:
        thread = LowLatencyConsumerThread(self, loop=self.loop, beacon=self.beacon)
        thread.fetch_max_wait_ms = getattr(self.app, "fetch_max_wait_ms", LowLatencyConsumerThread.fetch_max_wait_ms)
        return thread


class LowLatencyTransport(driver.Transport):
    Consumer = LowLatencyConsumer


class PromptTableManager(TableManager):
    """Faust's TableManager sleeps a hard-coded second before it starts the tables (to let modules that
    declare tables at import finish). Tally declares its one table before the app starts, so it need not wait:
    this saves a second of every worker's startup."""

    async def on_start(self) -> None:
        if not self.should_stop:
            await self._update_channels()
            await self.recovery.start()
