"""`platewatch hotlist match`: what the matcher decides for reads given on stdin."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from alpr.read import read_from_json
from platewatch.commands.common import ConfigOption, settings_of, unit_of_work

if TYPE_CHECKING:
    from alpr.read import PlateRead
    from hotlist.matcher import MatchResult


def _as_json(read: PlateRead, result: MatchResult) -> str:
    return json.dumps(
        {
            "source": read.source,
            "read_id": read.read_id,
            "camera": read.camera_id,
            "plate": read.plate,
            "confidence": read.confidence,
            "region": read.region,
            "decision": result.decision,
            "resident": result.resident,
            "matches": [
                {
                    "entry_plate": m.entry_plate,
                    "entry_state": m.entry_state,
                    "list": m.list_name,
                    "kind": m.kind,
                    "score": m.score,
                    "substitutions": m.substitutions,
                    "state_mismatch": m.state_mismatch,
                    "decision": m.decision,
                }
                for m in result.matches
            ],
        }
    )


def _as_text(read: PlateRead, result: MatchResult) -> str:
    where = f" ({read.source})" if read.source else ""
    lines = [
        f"{read.plate or '-'} {read.confidence:.2f}{where}: {result.decision}"
        + (" [resident]" if result.resident and result.decision != "resident" else "")
    ]
    for m in result.matches:
        flag = "  STATE MISMATCH" if m.state_mismatch else ""
        lines.append(
            f"  {m.decision:6} {m.entry_plate:10} {m.entry_state or '-':3} "
            f"{m.list_name} {m.kind} score {m.score:.3f}{flag}"
        )
    return "\n".join(lines)


def register_match(app: typer.Typer) -> None:
    @app.command("match")
    def hotlist_match(
        as_json: Annotated[bool, typer.Option("--json", help="one JSON object per read")] = False,
        camera: Annotated[
            str,
            typer.Option(
                help="camera id for lines without a `camera` field (its site decides residents)"
            ),
        ] = "cli",
        config: ConfigOption = None,
    ) -> None:
        """Match PlateRead JSON lines from stdin (as `platewatch read --json` prints them)."""
        from pydantic import ValidationError

        from hotlist.index_cache import IndexCache
        from store.tables import Camera

        settings = settings_of(config).matching
        cache = IndexCache(settings=settings)
        bad = 0
        with unit_of_work(config) as session:
            sites: dict[str, int | None] = {}
            for number, line in enumerate(sys.stdin, start=1):
                if not line.strip():
                    continue
                try:
                    read = read_from_json(json.loads(line), camera=camera, now=datetime.now(UTC))
                except (json.JSONDecodeError, ValidationError, ValueError, TypeError) as exc:
                    typer.echo(f"stdin:{number}: not a plate read ({exc})", err=True)
                    bad += 1
                    continue
                if read.camera_id not in sites:
                    found = session.get(Camera, read.camera_id)
                    sites[read.camera_id] = found.site_id if found else None
                result = cache.current(session).match(read, settings, site_id=sites[read.camera_id])
                typer.echo(_as_json(read, result) if as_json else _as_text(read, result))
        if bad:
            raise typer.Exit(1)
