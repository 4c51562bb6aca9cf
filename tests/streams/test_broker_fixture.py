"""The embedded broker speaks Kafka: a record produced over TCP is consumed back."""

from kafka import KafkaConsumer, KafkaProducer


def test_record_round_trips_through_tansu(broker):
    producer = KafkaProducer(bootstrap_servers=broker)
    producer.send("fixture.check", key=b"k", value=b"hello").get(timeout=10)
    producer.close()
    consumer = KafkaConsumer("fixture.check", bootstrap_servers=broker, auto_offset_reset="earliest", consumer_timeout_ms=10000)
    values = [message.value for message in consumer]
    consumer.close()
    assert values == [b"hello"]
