"""The edge outbox keeps every read it accepted, in order, within its disk budget."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from stream.events import PlateReadEvent
from stream.outbox import EdgeOutbox
from tests.stream.helpers import synthetic_reads, wait_until


def _events(count: int, seed: int = 7) -> list[PlateReadEvent]:
    return [PlateReadEvent(read=r) for r in synthetic_reads(count, ["cam-1", "cam-2"], seed=seed)]


def test_reads_leave_in_the_order_they_came_and_only_when_removed(tmp_path: Path) -> None:
    outbox = EdgeOutbox(tmp_path / "outbox.db", budget_bytes=10**9)
    events = _events(25)
    outbox.put_many(events[:10])
    for event in events[10:]:
        outbox.put(event)
    first = outbox.peek(10)
    assert [q.read_id for q in first] == [e.read.read_id for e in events[:10]]
    assert first[0].key == b"cam-1" and first[1].key == b"cam-2"
    assert outbox.peek(10) == first  # peeking removes nothing
    outbox.remove(first)
    rest = outbox.peek(100)
    assert [q.read_id for q in rest] == [e.read.read_id for e in events[10:]]
    assert outbox.depth().reads == 15
    outbox.close()


def test_the_outbox_survives_a_restart(tmp_path: Path) -> None:
    events = _events(5)
    outbox = EdgeOutbox(tmp_path / "outbox.db", budget_bytes=10**9)
    outbox.put_many(events)
    outbox.close()
    reopened = EdgeOutbox(tmp_path / "outbox.db", budget_bytes=10**9)
    assert reopened.depth().reads == 5
    assert [q.payload for q in reopened.peek(10)] == [e.to_bytes() for e in events]
    reopened.close()


def test_over_budget_the_oldest_reads_are_dropped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    events = _events(40)
    size = len(events[0].to_bytes())
    outbox = EdgeOutbox(tmp_path / "outbox.db", budget_bytes=size * 30 + size // 2)
    with caplog.at_level(logging.WARNING, logger="stream.outbox"):
        outbox.put_many(events[:30])
        assert outbox.dropped == 0
        outbox.put_many(events[30:])
    kept = [q.read_id for q in outbox.peek(100)]
    assert outbox.dropped == 10
    assert kept == [e.read.read_id for e in events[10:]]
    assert outbox.depth().payload_bytes <= outbox.budget_bytes
    assert "over its budget" in caplog.text and "dropped the 10 oldest" in caplog.text
    assert "edge.outbox_budget_mb" in caplog.text
    outbox.close()


_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from stream.events import PlateReadEvent
    from stream.outbox import EdgeOutbox
    from tests.stream.helpers import synthetic_reads

    outbox = EdgeOutbox(Path(sys.argv[1]), budget_bytes=10**9, synchronous="NORMAL")
    for read in synthetic_reads(100_000, ["cam-1"], seed=11):
        outbox.put(PlateReadEvent(read=read))
        print(read.read_id, flush=True)
    """
)


def test_a_killed_edge_loses_no_read_the_outbox_accepted(tmp_path: Path) -> None:
    """SIGKILL while reads pour in: every read whose put() returned is still there."""
    path = tmp_path / "outbox.db"
    acknowledged = tmp_path / "acknowledged.txt"
    with acknowledged.open("wb") as out:
        writer = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path)],
            stdout=out,
            cwd=Path(__file__).resolve().parents[2],
        )
        wait_until(
            "the writer to queue 2,000 reads",
            lambda: acknowledged.stat().st_size > 2000 * 37,
            timeout=60,
        )
        time.sleep(0.3)
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
    promised = acknowledged.read_text().split()
    outbox = EdgeOutbox(path, budget_bytes=10**9)
    kept = {q.read_id for q in outbox.peek(len(promised) + 1000)}
    assert len(promised) >= 2000
    assert set(promised) <= kept
    outbox.close()
