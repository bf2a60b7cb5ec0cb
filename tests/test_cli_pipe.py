"""A reader that goes away early (`hub shop list | head -1`) is not an error of the hub: no
traceback on standard error, and the exit status of a process whose pipe broke (141 = 128 +
SIGPIPE), as a shell pipeline expects."""

from __future__ import annotations

import os
import subprocess
import sys


def test_closed_pipe_ends_quietly(hub_env: dict[str, str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # no reader at all: the hub's first write meets a broken pipe
    try:
        done = subprocess.run(
            [sys.executable, "-m", "runner.cli", "shop", "list"],
            env=hub_env,
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    finally:
        os.close(write_end)
    err = done.stderr.decode()
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert done.returncode == 141, (done.returncode, err)
