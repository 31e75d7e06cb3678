"""The embedded broker: starts on a free loopback port, refuses a taken one, and in durable
mode keeps every message across a kill -9 and carries on from the true end of each log."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

from stream.broker import BrokerError, EmbeddedBroker


def _values(bootstrap: str, topic: str) -> list[tuple[int, bytes]]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    got: list[tuple[int, bytes]] = []
    idle = 0
    while idle < 3:
        batch = consumer.poll(timeout_ms=500)
        idle = 0 if batch else idle + 1
        got += [(r.offset, r.value) for records in batch.values() for r in records]
    consumer.close()
    return got


def test_a_taken_port_is_refused_with_what_to_do(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        broker = EmbeddedBroker(port=taken.getsockname()[1], output=tmp_path / "tansu.log")
        with pytest.raises(BrokerError, match="already in use; stop what listens there"):
            broker.start()
    assert broker.process is None


@pytest.mark.kafka
def test_durable_mode_keeps_messages_across_a_kill_and_appends_after_them(
    tmp_path: Path, durable_broker: EmbeddedBroker
) -> None:
    bootstrap = durable_broker.bootstrap_servers
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic("durable", 1, 1)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for i in range(100):
        producer.send("durable", value=b"before-%d" % i)
    producer.flush()
    producer.close()
    pid = durable_broker.pid
    durable_broker.kill()
    durable_broker.start()
    assert durable_broker.pid != pid
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    after = producer.send("durable", value=b"after").get(timeout=30)
    producer.close()
    # Before the object store honoured conditional writes, this landed at offset 0 and
    # overwrote the first acknowledged batch.
    assert after.offset == 100
    got = _values(bootstrap, "durable")
    assert [offset for offset, _ in got] == list(range(101))
    assert [value for _, value in got] == [b"before-%d" % i for i in range(100)] + [b"after"]
