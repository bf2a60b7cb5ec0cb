"""The Sandbox: the fake Shoptet's state (state.py) and the server around it (app.py on uvicorn).

Python control API (mirrored over HTTP under ``/_sandbox/``, see app.py)::

    sb = Sandbox(scale=0.001, seed=1, shops=(900101,), data_dir=".hub/sandbox")
    with sb.run_in_thread(port=0) as base_url:      # http://127.0.0.1:PORT
        sb.private_token(900101)                    # "sandbox-private-900101"
        sb.totals(900101)                           # counts and sums now held (deleted excluded)
        sb.mutate(900101, n=50, seed=7)             # creates/updates/deletes + change log + webhooks
        sb.set_faults(server_errors=2, slow_ms=100) # see Faults
        sb.set_timezone(900101, "Europe/Bucharest") # GET /api/eshop settings.timezone (None: left out)
        sb.reset_faults()

The state is a class of its own so that app.py can take it without importing this module back.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

from starlette.applications import Starlette

from runner.sandbox.app import create_app
from runner.sandbox.state import DEFAULT_SHOP, Faults, SandboxState


class Sandbox(SandboxState):
    """A local fake Shoptet: one server for the API, the OAuth endpoints and the result files."""

    def app(self) -> Starlette:
        return create_app(self)

    @contextlib.contextmanager
    def run_in_thread(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve in a background thread; yields the base URL; stops cleanly on exit."""
        import uvicorn

        config = uvicorn.Config(
            self.app(),
            host=host,
            port=port,
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="sandbox-server", daemon=True)
        thread.start()
        deadline = time.time() + 10
        while not server.started:
            if not thread.is_alive() or time.time() > deadline:
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.01)
        bound = server.servers[0].sockets[0].getsockname()[1]
        self._base_url = f"http://{host}:{bound}"
        try:
            yield self._base_url
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            self.close()

    def serve(self, host: str = "127.0.0.1", port: int = 8900) -> None:
        """Serve in the foreground until interrupted."""
        import uvicorn

        self._base_url = f"http://{host}:{port}"
        try:
            uvicorn.run(self.app(), host=host, port=port, log_config=None, access_log=False, lifespan="off")
        finally:
            self.close()


__all__ = ["Sandbox", "Faults", "DEFAULT_SHOP"]
