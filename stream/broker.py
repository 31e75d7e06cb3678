"""The embedded Kafka-protocol broker (Tansu) for local runs and tests.

In memory mode a restart loses everything the broker held. In durable mode Tansu keeps its log
in S3-compatible object storage, served here by s3rver from files under the data directory, so
topics, messages and committed offsets survive restarts of either process.

Processes are started with their parent's death signal set, so a crashed test run leaves no
broker behind, and stopped by their own process id.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from stream.install import s3rver_modules, tansu_binary
from stream.settings import default_broker_cache

log = logging.getLogger(__name__)

BUCKET = "platewatch"
# s3rver with the conditional writes and whole uploads Tansu relies on (see the script).
STRICT_S3RVER = Path(__file__).with_name("s3rver_strict.js")
_PR_SET_PDEATHSIG = 1
# s3rver accepts any credentials; the AWS client in Tansu still wants some.
_S3_ENV = {
    "AWS_ALLOW_HTTP": "true",
    "AWS_ACCESS_KEY_ID": "S3RVER",
    "AWS_SECRET_ACCESS_KEY": "S3RVER",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class BrokerError(RuntimeError):
    """The embedded broker or its object store did not start or answer."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _spawn(args: list[str], env: dict[str, str], output: Path | None) -> subprocess.Popen[bytes]:
    sink: IO[bytes] | None = None
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        sink = output.open("ab")
    try:
        return subprocess.Popen(
            args,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=sink,
            preexec_fn=_die_with_parent,  # noqa: PLW1509  (only sets the death signal)
        )
    finally:
        if sink is not None:
            sink.close()


def _terminate(process: subprocess.Popen[bytes] | None, timeout: float = 5.0) -> None:
    if process is None or process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _wait(
    what: str,
    ready: Callable[[], bool],
    process: subprocess.Popen[bytes],
    timeout: float,
    log_hint: str,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            msg = f"{what} exited with status {process.returncode}; {log_hint}"
            raise BrokerError(msg)
        if ready():
            return
        time.sleep(0.1)
    msg = f"{what} did not answer within {timeout:.0f} s; {log_hint}"
    raise BrokerError(msg)


class ObjectStore:
    """s3rver, with S3's conditional writes and whole uploads, serving files in `directory`."""

    def __init__(
        self,
        directory: Path,
        cache_dir: Path,
        *,
        port: int | None = None,
        output: Path | None = None,
    ) -> None:
        self.directory = directory
        self.cache_dir = cache_dir
        self.port = port or free_port()
        self.output = output
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        node, modules = s3rver_modules(self.cache_dir)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = _spawn(
            [node, str(STRICT_S3RVER), str(self.directory), str(self.port), BUCKET],
            {**os.environ, "NODE_PATH": str(modules)},
            self.output,
        )
        _wait(
            f"s3rver on port {self.port}",
            lambda: _port_open(self.port),
            self.process,
            timeout,
            f"see {self.output or 'its output above'}",
        )

    def stop(self) -> None:
        _terminate(self.process)


def _answers_metadata(bootstrap: str) -> bool:
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap,
            request_timeout_ms=2000,
            client_id="platewatch-broker-probe",
        )
    except (KafkaError, OSError):
        return False
    try:
        admin.list_topics()
    except (KafkaError, OSError):
        return False
    finally:
        admin.close()
    return True


class EmbeddedBroker:
    """Tansu on 127.0.0.1:`port`; durable when `durable_dir` is given (object store there)."""

    def __init__(
        self,
        *,
        port: int | None = None,
        durable_dir: Path | None = None,
        cache_dir: Path | None = None,
        output: Path | None = None,
    ) -> None:
        self.port = port or free_port()
        self.durable_dir = durable_dir
        self.cache_dir = cache_dir or default_broker_cache()
        self.output = output
        self.process: subprocess.Popen[bytes] | None = None
        self.store: ObjectStore | None = None
        if durable_dir is not None:
            store_log = None if output is None else output.with_name("s3rver.log")
            self.store = ObjectStore(durable_dir / "objects", self.cache_dir, output=store_log)

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def mode(self) -> str:
        if self.durable_dir is None:
            return "in memory (a restart loses every message)"
        return f"durable (log kept in {self.durable_dir / 'objects'})"

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def start(self, timeout: float = 30.0) -> None:
        """Start (or restart) the broker and wait until it answers a metadata request."""
        if self.process is not None and self.process.poll() is None:
            return
        if _port_open(self.port):
            msg = (
                f"port {self.port} on 127.0.0.1 is already in use; stop what listens there "
                "or choose another with --port"
            )
            raise BrokerError(msg)
        binary = tansu_binary(self.cache_dir)
        # Tansu is silent by default; its warnings and errors belong in the broker's log.
        env = {"RUST_LOG": "warn", **os.environ}
        storage = "memory://tansu/"
        if self.store is not None:
            if self.store.process is None or self.store.process.poll() is not None:
                self.store.start()
            env.update(_S3_ENV, AWS_ENDPOINT=self.store.endpoint)
            storage = f"s3://{BUCKET}/"
        url = f"tcp://127.0.0.1:{self.port}"
        self.process = _spawn(
            [
                str(binary),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                storage,
            ],
            env,
            self.output,
        )
        _wait(
            f"Tansu on {self.bootstrap_servers}",
            lambda: _port_open(self.port) and _answers_metadata(self.bootstrap_servers),
            self.process,
            timeout,
            f"see {self.output or 'its output above'}",
        )
        log.info("broker %s on %s, pid %s", self.mode, self.bootstrap_servers, self.pid)

    def kill(self) -> None:
        """SIGKILL the broker (not its object store): a crash, for failure tests."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        """Stop the broker and its object store by their process ids."""
        _terminate(self.process)
        if self.store is not None:
            self.store.stop()

    def wait(self) -> int:
        """Block until the broker exits; its exit status."""
        if self.process is None:
            msg = "the broker was never started"
            raise BrokerError(msg)
        return self.process.wait()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
