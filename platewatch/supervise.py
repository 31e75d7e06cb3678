"""Running the pipeline's processes side by side, and stopping every one of them.

Each child gets its own process group, so Ctrl-C here stops the children's children too
(the broker binary, uvicorn workers) and nothing is left running.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In a child before exec: the kernel sends SIGTERM when the parent dies, so a supervisor
    killed outright (SIGKILL, a crash) still leaves nothing running."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    argv: Sequence[str]
    process: subprocess.Popen[bytes]
    log_path: Path
    expected_to_exit: bool = False


@dataclass
class Supervisor:
    log_dir: Path
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    children: list[Child] = field(default_factory=list)

    def start(self, name: str, argv: Sequence[str], *, expected_to_exit: bool = False) -> Child:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        with log_path.open("ab") as out:
            process = subprocess.Popen(
                list(argv),
                stdout=out,
                stderr=subprocess.STDOUT,
                env=dict(self.env),
                start_new_session=True,
                preexec_fn=die_with_parent,  # noqa: PLW1509  (only sets the death signal)
            )
        child = Child(name, argv, process, log_path, expected_to_exit)
        self.children.append(child)
        log.info("started %s (pid %s), log %s", name, process.pid, log_path)
        return child

    def first_failure(self) -> Child | None:
        """A child that ended on its own when it should still be running, if any."""
        for child in self.children:
            code = child.process.poll()
            if code is not None and (code != 0 or not child.expected_to_exit):
                return child
        return None

    def stop_all(self, timeout_s: float = 10.0) -> None:
        """SIGTERM every child's group, wait, then SIGKILL what is left."""
        for child in reversed(self.children):
            _signal_group(child.process, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for child in reversed(self.children):
            remaining = max(0.1, deadline - time.monotonic())
            try:
                child.process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %.0f s; killing it", child.name, timeout_s)
                _signal_group(child.process, signal.SIGKILL)
                child.process.wait()
            # Grandchildren may outlive a child that exited; the group kill reaches them.
            _signal_group(child.process, signal.SIGKILL)


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def platewatch_argv(*args: str) -> list[str]:
    """The command line that runs `platewatch ARGS` with this interpreter."""
    return [sys.executable, "-m", "platewatch", *args]
