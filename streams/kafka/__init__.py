"""Kafka plumbing: the topic table, topic creation and probes, the local broker, tail."""
