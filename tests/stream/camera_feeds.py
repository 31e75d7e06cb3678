"""Stand-ins for what surrounds a deployment in the camera health tests: an IP camera serving
MJPEG over HTTP (the sample clip, looped, in real time), a webhook receiver and an SMTP inbox."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from aiosmtpd.controller import Controller
from standardwebhooks import Webhook as StandardWebhook

CAMERA_FPS = 15
# Between loops of the clip: the car leaves the view, so its pass ends and is read.
GAP_S = 2.5


def _clip_frames(clip: Path) -> list[bytes]:
    capture = cv2.VideoCapture(str(clip))
    frames: list[bytes] = []
    shape = None
    while True:
        ok, image = capture.read()
        if not ok:
            break
        shape = image.shape
        frames.append(cv2.imencode(".jpg", image)[1].tobytes())
    capture.release()
    assert frames and shape is not None, f"{clip} has no frames"
    black = cv2.imencode(".jpg", np.zeros(shape, np.uint8))[1].tobytes()
    # The clip is 30 fps; every other frame keeps its speed at CAMERA_FPS.
    return frames[::2] + [black] * int(GAP_S * CAMERA_FPS)


@contextmanager
def mjpeg_camera(clip: Path) -> Iterator[str]:
    """The clip looped forever as multipart/x-mixed-replace JPEGs; yields the stream URL."""
    frames = _clip_frames(clip)
    stop = threading.Event()

    class Camera(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
            self.end_headers()
            index = 0
            try:
                while not stop.is_set():
                    jpeg = frames[index % len(frames)]
                    index += 1
                    head = f"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}"
                    self.wfile.write(head.encode() + b"\r\n\r\n" + jpeg + b"\r\n")
                    time.sleep(1 / CAMERA_FPS)
            except (BrokenPipeError, ConnectionResetError):
                return  # the edge was killed

        def log_message(self, *args: Any) -> None:
            del args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Camera)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/camera.mjpg"
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


@dataclass
class Received:
    """What the webhook receiver took, each body checked against its signature."""

    secret: str = ""
    bodies: list[dict[str, Any]] = field(default_factory=list)
    bad_signatures: int = 0

    def types(self) -> list[str]:
        return [str(body["type"]) for body in self.bodies]


@contextmanager
def webhook_receiver() -> Iterator[tuple[str, Received]]:
    received = Received()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            try:
                StandardWebhook(received.secret).verify(body, dict(self.headers.items()))
            except Exception:
                received.bad_signatures += 1
            received.bodies.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            del args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/ops", received
    finally:
        server.shutdown()
        server.server_close()


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        del server, session
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages]


@contextmanager
def smtp_inbox() -> Iterator[tuple[int, _Inbox]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()
