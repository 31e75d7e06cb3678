"""Collects benchmark figures and renders BENCHMARKS.md.

Timings on these shared 2-core machines are noisy, so every speed figure that has a baseline
is measured beside it in the same run and reported as a ratio.
"""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    section: str
    name: str
    value: float
    unit: str
    baseline: str | None = None
    baseline_value: float | None = None
    higher_is_better: bool = True
    command: str = "make bench"
    notes: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline_value in (None, 0):
            return None
        assert self.baseline_value is not None
        if self.higher_is_better:
            return self.value / self.baseline_value
        return self.baseline_value / self.value if self.value else None


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)

    def add(self, figure: Figure) -> None:
        self.figures.append(figure)
        print(
            f"[bench] {figure.section} | {figure.name}: {_fmt(figure.value)} {figure.unit}"
            + (f" (x{figure.ratio:.2f} vs {figure.baseline})" if figure.ratio else ""),
            flush=True,
        )

    def note(self, section: str, text: str) -> None:
        self.notes.setdefault(section, []).append(text)

    def sections(self) -> list[str]:
        names: list[str] = []
        for name in [f.section for f in self.figures] + list(self.notes):
            if name not in names:
                names.append(name)
        return names

    def render_section(self, section: str, run_line: str) -> str:
        lines = [f"## {section}", "", run_line, ""]
        rows = [f for f in self.figures if f.section == section]
        if rows:
            lines += [
                "| figure | value | baseline | ratio | command | notes |",
                "|---|---|---|---|---|---|",
            ]
            for f in rows:
                base = (
                    f"{f.baseline}: {_fmt(f.baseline_value)} {f.unit}"
                    if f.baseline and f.baseline_value is not None
                    else ""
                )
                ratio = f"{f.ratio:.2f}x" if f.ratio else ""
                lines.append(
                    f"| {f.name} | {_fmt(f.value)} {f.unit} | {base} | {ratio} | "
                    f"`{f.command}` | {f.notes} |"
                )
            lines.append("")
        notes = self.notes.get(section, [])
        lines += [f"- {n}" for n in notes]
        if notes:
            lines.append("")
        return "\n".join(lines)


HEADER = """# Benchmarks

Written by `make bench` (`python -m bench`; `python -m bench STAGE...` re-measures only those
stages and keeps the other sections). Each section says when, on which machine and at which
commit it was measured. Speed figures with a baseline were measured beside it in the same run;
the ratio is the figure over the baseline when higher is better, the baseline over the figure
when lower is better (so above 1 always means better).
"""


def split_sections(text: str) -> dict[str, str]:
    """The `## ` sections of an existing BENCHMARKS.md, by title, in order."""
    sections: dict[str, str] = {}
    current: str | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            sections[current] = ""
        if current is not None:
            sections[current] += line + "\n"
    return sections


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    rev = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem_gib:.0f} GiB, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, commit {rev or '?'}"
    )


def now() -> datetime:
    return datetime.now(UTC)
