"""Adapters: Kafka and Faust around the pure fold. No rule logic lives here."""
