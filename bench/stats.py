"""Percentiles and the RESULTS.md log shared by every benchmark."""

from __future__ import annotations

import os
import platform
import statistics
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def percentile(samples: list[float], p: float) -> float:
    """The p-th percentile (0-100) by nearest rank; samples need not be sorted."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "p50": percentile(samples, 50),
        "p95": percentile(samples, 95),
        "p99": percentile(samples, 99),
        "mean": statistics.fmean(samples),
    }


def fmt_seconds(value: float) -> str:
    """A duration in the unit that reads best: µs, ms or s."""
    if value < 1e-3:
        return f"{value * 1e6:.1f} µs"
    if value < 1:
        return f"{value * 1e3:.2f} ms"
    return f"{value:.2f} s"


def machine() -> str:
    return f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"


def record(title: str, command: str, lines: list[str]) -> None:
    """Append one dated section to bench/RESULTS.md."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark results\n\nEach section is appended by the benchmark that measured it.\n")
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(f"\n## {title} — {stamp}\n\n`{command}` on {machine()}\n\n")
        fh.write("\n".join(lines) + "\n")
