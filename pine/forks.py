"""A part of a job's work done in a second process, on the machine's other CPU core.

A report build is mostly Python (WeasyPrint, python-docx, openpyxl), which one process runs on one
core at a time. ``forked(work)`` runs ``work()`` in a copy of the worker made by fork(), which has
all the worker has (its modules, the work's arguments) without sending them anywhere, and hands back
what it returns, pickled, through a pipe. The copy only does ``work`` and then leaves at once: it runs
nothing of the worker's on the way out (no exit handlers, no cleanup of the connections it shares
with the worker) and never touches the worker's database, broker or browser.

The fork is only a way to use the other core: the value is always ``work()``'s. Where there is no
fork, or the copy fails, dies or does not answer within ``timeout`` seconds, ``work()`` runs in the
worker itself (raising there whatever it raises), after a warning with the copy's reason.

fork() copies only the thread that calls it. The copy runs nothing but ``work``, which must need
nothing another thread of the worker may hold at that moment (no lock of theirs, no connection):
plain computation on data, such as writing a document from a report's sections.
"""

import logging
import os
import pickle
import select
import signal
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")
FORK_TIMEOUT = 120  # seconds the worker waits for the copy's answer before doing the work itself
_OK, _FAILED = b"o", b"f"


@contextmanager
def forked(work: Callable[[], T], *, timeout: float = FORK_TIMEOUT) -> Iterator[Callable[[], T]]:
    """Start ``work()`` in a copy of this process; yields a function that returns its value (waiting
    for the copy). Leaving the block ends the copy if it is still running."""
    if not hasattr(os, "fork"):
        yield work
        return
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the copy
        _child(work, read, write)
    os.close(write)
    done = False

    def result() -> T:
        nonlocal done
        answer = _read(read, timeout)
        done = True
        os.close(read)
        if answer is None:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        if answer is not None and answer[:1] == _OK and status == 0:
            return pickle.loads(answer[1:])
        reason = "it did not answer in time" if answer is None else (answer[1:].decode("utf-8", "replace") or "it died")
        logger.warning("Work done in a second process failed; doing it here instead: %s", reason)
        return work()

    try:
        yield result
    finally:
        if not done:
            os.close(read)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def _child(work: Callable[[], T], read: int, write: int) -> None:
    code = 1
    try:
        os.close(read)
        try:
            answer = _OK + pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:
            answer = _FAILED + traceback.format_exc().encode("utf-8", "replace")
        with open(write, "wb") as out:
            out.write(answer)
        code = 0
    finally:
        os._exit(code)  # nothing of the worker's runs on the way out


def _read(read: int, timeout: float) -> bytes | None:
    """All the copy writes, or None if it is not done within ``timeout`` seconds (it is then ended)."""
    chunks, deadline = [], time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([read], [], [], remaining)[0]:
            return None
        chunk = os.read(read, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
