"""Progress of long work on a terminal: a bar with rate and ETA (stderr), or a line every few seconds."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from runner.shoptet.snapshots import Progress


def _duration(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return "--:--"
    seconds = int(seconds)
    return (
        f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
        if seconds >= 3600
        else f"{seconds // 60}:{seconds % 60:02d}"
    )


class ProgressBar:
    """Callable for snapshots.run_job(progress=...)."""

    def __init__(
        self, stream: TextIO | None = None, *, width: int = 24, interval: float = 0.2, plain_interval: float = 5.0
    ):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.width = width
        self.interval = interval if self.tty else plain_interval
        self._last = 0.0
        self._drawn = False

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        notice = p.phase.startswith("download broke off")  # a resumed download is always shown, on its own line
        if now - self._last < self.interval and not notice:
            return
        self._last = now
        if notice:
            self.stream.write(("\r\x1b[2K" if self.tty else "") + f"{p.entity:<9} job {p.job_id}: {p.phase}\n")
            self.stream.flush()
            self._drawn = False
            return
        if p.phase != "importing":
            text = f"{p.entity:<9} job {p.job_id}: {p.phase}"
        else:
            filled = int(self.width * p.percent / 100)
            bar = "#" * filled + "-" * (self.width - filled)
            total = f"~{p.total:,}" if p.total and p.estimate else (f"{p.total:,}" if p.total else "?")
            bad = f"  {p.failed:,} bad" if p.failed else ""
            text = (
                f"{p.entity:<9} [{bar}] {p.percent:5.1f}%  {p.processed:,}/{total} lines  "
                f"{p.rate:,.0f}/s  ETA {_duration(p.eta_seconds)}{bad}"
            )
        if self.tty:
            self.stream.write("\r\x1b[2K" + text)
            self._drawn = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty and self._drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._drawn = False
