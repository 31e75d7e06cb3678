"""Run every stage's benchmark and write BENCHMARKS.md.

`python -m bench` runs all; `python -m bench alpr hotlist` runs some and replaces only their
sections, keeping the others (each section records its own date, machine and commit).
"""

from __future__ import annotations

import importlib
import logging
import sys
import traceback
from pathlib import Path

from bench.report import HEADER, Report, machine_description, now, split_sections

STAGES = (
    "alpr",
    "alpr-shipped",
    "detector",
    "detector-clip",
    "hotlist",
    "stream",
    "console",
    "retention",
    "e2e",
    "drill",
    "console-import",
    "historical",
)
# Stages whose module is not bench.<stage>_bench.
MODULES = {
    "alpr-shipped": "bench.alpr_shipped_bench",
    "detector": "bench.detector_sweep",
    "detector-clip": "bench.detector_clip",
    "console-import": "bench.console_import_bench",
}


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING)
    chosen = argv or list(STAGES)
    unknown = [s for s in chosen if s not in STAGES]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {', '.join(STAGES)}", file=sys.stderr)
        return 2
    target = Path("BENCHMARKS.md")
    sections = split_sections(target.read_text(encoding="utf-8")) if target.exists() else {}
    failed: list[str] = []
    for stage in chosen:
        module = importlib.import_module(MODULES.get(stage, f"bench.{stage}_bench"))
        print(f"[bench] --- {stage}", flush=True)
        report = Report()
        started = now()
        try:
            module.run(report)
        except Exception:  # noqa: BLE001  (one stage failing must not lose the others' figures)
            failed.append(stage)
            report.note(f"Failures ({stage})", traceback.format_exc().splitlines()[-1])
            traceback.print_exc()
        run_line = (
            f"_Measured by `python -m bench {stage}` from {started:%Y-%m-%d %H:%M} to "
            f"{now():%H:%M} UTC on {machine_description()}._"
        )
        for section in report.sections():
            sections[section] = report.render_section(section, run_line)
        # Stripped: a section read back keeps its trailing blank lines, which grew a line a run.
        body = "\n\n".join(text.strip() for text in sections.values())
        target.write_text(HEADER + "\n" + body + "\n", encoding="utf-8")
    print(f"[bench] wrote {target}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
