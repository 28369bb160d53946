"""Per-epoch progress from local worker processes to the sweep's client.

Workers write small JSON messages to one shared pipe. A single write of at most
PIPE_BUF bytes to a pipe is atomic on POSIX, so messages from different workers never
interleave and no lock is shared: a worker killed mid-run (the OOM killer) cannot
leave a lock held that would block the others. Messages are throttled per run, so a
sweep of tiny runs cannot fill the pipe faster than the client drains it.
"""

from __future__ import annotations

import json
from multiprocessing.connection import Connection
from time import monotonic
from typing import Callable, NamedTuple

# At most this many messages per second and run (the first and last epoch always go).
RATE = 5.0
# POSIX guarantees atomic pipe writes up to 512 bytes; messages are kept below that.
MAX_MESSAGE = 480

OnProgress = Callable[[str, int, int, float], None]


class Channel(NamedTuple):
    """Client side: the pipe's two ends (workers get `writer`) and where messages go."""

    reader: Connection
    writer: Connection
    on_progress: OnProgress

    def drain(self) -> None:
        """Hand every message waiting in the pipe to `on_progress`."""
        while self.reader.poll():
            name, epoch, epochs, valid_acc = json.loads(self.reader.recv_bytes())
            self.on_progress(name, epoch, epochs, valid_acc)

    def close(self) -> None:
        self.reader.close()
        self.writer.close()


class Reporter:
    """Worker side: `epoch(n, valid_acc)` for one run, sent at most RATE times a second."""

    def __init__(self, writer: Connection, name: str, epochs: int):
        self.writer, self.name, self.epochs = writer, name, epochs
        self._last = float("-inf")
        self._gone = False  # the client closed the pipe

    def epoch(self, n: int, valid_acc: float) -> None:
        now = monotonic()
        if self._gone or (n not in (1, self.epochs) and now - self._last < 1.0 / RATE):
            return
        self._last = now
        message = json.dumps([self.name, n, self.epochs, valid_acc]).encode()
        if len(message) > MAX_MESSAGE:  # a longer run name gets no live progress
            return
        try:
            self.writer.send_bytes(message)
        except OSError:  # the client is gone: the run goes on, unreported
            self._gone = True

