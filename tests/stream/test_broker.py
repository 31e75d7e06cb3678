"""The embedded broker: starts on a free loopback port, refuses a taken one, and in durable
mode keeps every message across a kill -9 and carries on from the true end of each log. Its
object store keeps the promises of S3 that the durable log depends on."""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

from stream.broker import BUCKET, BrokerError, EmbeddedBroker, ObjectStore
from stream.settings import default_broker_cache


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


@pytest.fixture
def object_store(tmp_path: Path) -> Iterator[ObjectStore]:
    store = ObjectStore(tmp_path / "objects", default_broker_cache(), output=tmp_path / "s3.log")
    store.start()
    yield store
    store.stop()


def _request(
    store: ObjectStore, method: str, key: str, body: bytes = b"", **headers: str
) -> tuple[int, bytes, str | None]:
    conn = http.client.HTTPConnection("127.0.0.1", store.port, timeout=10)
    try:
        conn.request(method, f"/{BUCKET}/{key}", body=body or None, headers=headers)
        response = conn.getresponse()
        return response.status, response.read(), response.getheader("ETag")
    finally:
        conn.close()


def _cut_off_upload(store: ObjectStore, key: str, declared: int, sent: bytes) -> None:
    """A PUT whose sender dies after `sent` of `declared` bytes (a broker killed mid-upload)."""
    with socket.create_connection(("127.0.0.1", store.port)) as conn:
        head = f"PUT /{BUCKET}/{key} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {declared}"
        conn.sendall(head.encode() + b"\r\n\r\n" + sent)
        time.sleep(0.3)


@pytest.mark.kafka
def test_an_upload_cut_off_mid_body_stores_nothing(object_store: ObjectStore) -> None:
    key = "topics/t/partitions/0/records/00000000000000001866.batch"
    assert _request(object_store, "PUT", "kept.batch", b"x" * 64)[0] == 200
    _cut_off_upload(object_store, key, declared=4096, sent=b"y" * 1000)
    _cut_off_upload(object_store, key, declared=4096, sent=b"")
    _cut_off_upload(object_store, "kept.batch", declared=4096, sent=b"z" * 10)
    time.sleep(0.5)
    # Before uploads were received whole, the first of these left a 1,000-byte object and the
    # second an empty one, on which Tansu's fetches of that partition failed from then on.
    status, _, _ = _request(object_store, "GET", key)
    assert status == 404
    assert not list((object_store.directory).rglob("*1866*"))
    status, body, _ = _request(object_store, "GET", "kept.batch")
    assert (status, body) == (200, b"x" * 64)
    assert object_store.output is not None
    said = object_store.output.read_text()
    assert said.count("refused an incomplete upload of platewatch/topics/t/") == 2
    assert "refused an incomplete upload of platewatch/kept.batch; nothing stored" in said


@pytest.mark.kafka
def test_conditional_writes_are_refused_where_s3_refuses_them(object_store: ObjectStore) -> None:
    status, _, etag = _request(
        object_store, "PUT", "watermark.json", b"1", **{"If-None-Match": "*"}
    )
    assert status == 200 and etag
    status, body, _ = _request(
        object_store, "PUT", "watermark.json", b"2", **{"If-None-Match": "*"}
    )
    assert status == 412 and b"PreconditionFailed" in body
    status, _, _ = _request(object_store, "PUT", "watermark.json", b"3", **{"If-Match": '"0000"'})
    assert status == 412
    status, _, newer = _request(object_store, "PUT", "watermark.json", b"4", **{"If-Match": etag})
    assert status == 200 and newer != etag
    assert _request(object_store, "GET", "watermark.json")[1:] == (b"4", newer)
    status, _, _ = _request(object_store, "PUT", "missing.json", b"5", **{"If-Match": etag})
    assert status == 412
