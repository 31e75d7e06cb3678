"""Kafka producers, consumers and topics, configured once for Tansu and real clusters alike.

Known Tansu quirks shape these settings: it reports a wrong latest offset, so consumers start
from `earliest` and resume from committed offsets (never `latest`, `end_offsets` or
`seek_to_end`), and group joins take about half the session timeout.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from stream.settings import StreamSettings

if TYPE_CHECKING:
    from stream.settings import StreamSections

log = logging.getLogger(__name__)


def bootstrap_servers(settings: StreamSections) -> str:
    """The configured cluster, or the embedded broker's default port on this machine."""
    if settings.kafka_bootstrap_servers:
        return settings.kafka_bootstrap_servers
    return f"127.0.0.1:{settings.stream.broker_port}"


def make_producer(bootstrap: str, stream: StreamSettings, *, client_id: str) -> KafkaProducer:
    """A producer that counts a message sent only when all in-sync replicas have it.

    Not idempotent, on purpose: Tansu advances a producer's sequence before its batch is
    stored, so after a broker crash the client's retry of that batch is answered "duplicate"
    and the client counts as delivered a batch that was never written (seen here with kill -9).
    Without idempotence a retry is simply written again; every consumer de-duplicates (reads
    by read id, alert events by event id). One request in flight keeps retries in order.
    """
    return KafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=False,
        max_in_flight_requests_per_connection=1,
        compression_type=stream.compression,
        linger_ms=5,
        max_request_size=stream.max_message_bytes,
        request_timeout_ms=stream.request_timeout_ms,
        delivery_timeout_ms=max(stream.delivery_timeout_ms, stream.request_timeout_ms + 5),
        max_block_ms=stream.request_timeout_ms,
        reconnect_backoff_max_ms=2000,
    )


def make_consumer(
    bootstrap: str,
    stream: StreamSettings,
    *,
    group_id: str,
    client_id: str,
    fetch_max_wait_ms: int | None = None,
) -> KafkaConsumer:
    """A group consumer that commits by hand, after the work its messages caused is durable;
    `fetch_max_wait_ms` overrides the stream's for a consumer that need not be quick."""
    return KafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=stream.session_timeout_ms,
        heartbeat_interval_ms=stream.heartbeat_interval_ms,
        max_poll_records=stream.batch_max,
        fetch_max_wait_ms=fetch_max_wait_ms or stream.fetch_max_wait_ms,
        fetch_max_bytes=max(stream.max_message_bytes, 50 * 1024 * 1024),
        max_partition_fetch_bytes=stream.max_message_bytes,
        request_timeout_ms=max(stream.request_timeout_ms, stream.session_timeout_ms + 5000),
        reconnect_backoff_max_ms=2000,
    )


def ensure_topics(bootstrap: str, stream: StreamSettings) -> list[str]:
    """Create the stream's topics that do not exist yet; the names it created."""
    wanted = [
        stream.reads_topic,
        stream.alerts_topic,
        stream.dispositions_topic,
        stream.dead_letter_topic,
        stream.heartbeats_topic,
    ]
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="platewatch-topics",
        request_timeout_ms=stream.request_timeout_ms,
    )
    try:
        existing = set(admin.list_topics())
        created = []
        for name in wanted:
            if name in existing:
                continue
            try:
                admin.create_topics([NewTopic(name, stream.partitions, stream.replication_factor)])
            except TopicAlreadyExistsError:
                continue  # another process created it between our listing and our request
            created.append(name)
    finally:
        admin.close()
    if created:
        log.info("created topics %s with %d partitions", ", ".join(created), stream.partitions)
    return created
