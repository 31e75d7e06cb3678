"""Run every stage's benchmark and write BENCHMARKS.md.

`python -m bench` runs all; `python -m bench alpr hotlist` runs some (the other sections of an
existing BENCHMARKS.md are not kept: a partial run writes BENCHMARKS.partial.md instead).
"""

from __future__ import annotations

import importlib
import logging
import sys
import traceback
from pathlib import Path

from bench.report import Report, now

STAGES = ("alpr", "hotlist", "stream", "console", "retention", "e2e")


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING)
    chosen = argv or list(STAGES)
    unknown = [s for s in chosen if s not in STAGES]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {', '.join(STAGES)}", file=sys.stderr)
        return 2
    report = Report()
    started = now()
    failed: list[str] = []
    for stage in chosen:
        module = importlib.import_module(f"bench.{stage}_bench")
        print(f"[bench] --- {stage}", flush=True)
        try:
            module.run(report)
        except Exception:  # noqa: BLE001  (one stage failing must not lose the others' figures)
            failed.append(stage)
            report.note("Failures", f"{stage}: {traceback.format_exc().splitlines()[-1]}")
            traceback.print_exc()
    target = Path("BENCHMARKS.md" if chosen == list(STAGES) else "BENCHMARKS.partial.md")
    target.write_text(report.render(started, now()) + "\n", encoding="utf-8")
    print(f"[bench] wrote {target}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
