"""Running the console under uvicorn, with access logs that never carry query strings."""

from __future__ import annotations

import logging

import uvicorn

from console.app import create_app
from console.settings import ConsoleSections


class _NoQueryStrings(logging.Filter):
    """Auditors filter by plate in the URL; access logs keep the path only."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def server_config(
    settings: ConsoleSections, *, host: str | None = None, port: int | None = None
) -> uvicorn.Config:
    console = settings.console
    return uvicorn.Config(
        create_app(settings),
        host=host or console.host,
        port=port or console.port,
        # The app decides which X-Forwarded-For to believe (console.clientaddr); uvicorn's
        # rewriting would hide the real peer address it needs for that.
        proxy_headers=False,
        # Open event streams would otherwise hold a shutdown until every browser leaves.
        timeout_graceful_shutdown=3,
        log_config=None,
    )


def serve(settings: ConsoleSections, *, host: str | None = None, port: int | None = None) -> None:
    logging.getLogger("uvicorn.access").addFilter(_NoQueryStrings())
    uvicorn.Server(server_config(settings, host=host, port=port)).run()
