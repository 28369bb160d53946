"""The Dask adapter for `nntrain sweep --cluster tcp://HOST:PORT`; imported only then.

core.sweep runs a sweep on any concurrent.futures Executor; here that is the
`client.get_executor()` of a `dask.distributed.Client`. Each task returns its run
folder's files and this process writes them, so workers need nntrain installed and
the dataset at the same path (the bundled dataset is always there), but no access to
this machine's disk.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from .errors import UserError

INSTALL_HINT = 'pip install "nntrain[cluster]"'
CONNECT_TIMEOUT = "10s"


def connect(address: str):
    """A Client connected to the scheduler at `address`, or UserError in one line."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise UserError(f"--cluster needs dask.distributed: {INSTALL_HINT}") from None
    try:
        return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        from core.sweep import one_line

        raise UserError(f"--cluster {address}: cannot reach the Dask scheduler ({one_line(exc)})") from None


@contextmanager
def dask_executor(address: str) -> Iterator[tuple]:
    """Yield (open_executor, threads) for core.sweep.run_sweep: `open_executor(n)` is a
    context manager around a fresh `client.get_executor()`, and `threads` the
    cluster's total worker threads now (the default number of runs in flight)."""
    client = connect(address)

    @contextmanager
    def open_executor(n: int):
        executor = client.get_executor()
        try:
            yield executor
        except BaseException:
            executor.shutdown(wait=False)  # cancels the runs still queued or running
            raise
        else:
            executor.shutdown(wait=True)

    try:
        yield open_executor, sum(client.nthreads().values())
    finally:
        client.close()
