"""Work done in a second process (pine.forks): the value is always the work's, wherever it ran."""

import os
import time

import pytest

from pine import forks


def test_the_work_runs_in_another_process_and_its_value_comes_back():
    with forks.forked(lambda: {"pid": os.getpid(), "bytes": b"\x00" * 3_000_000}) as result:
        value = result()
    assert value["pid"] != os.getpid()  # done by the copy
    assert value["bytes"] == b"\x00" * 3_000_000  # more than a pipe holds at once


def test_a_failure_in_the_copy_is_done_again_here_and_raises_as_it_would(caplog):
    calls = []

    def work():
        calls.append(os.getpid())
        raise ValueError("no such measure")

    with forks.forked(work) as result, pytest.raises(ValueError, match="no such measure"):
        result()
    assert calls == [os.getpid()]  # the copy's call was in the copy's memory; this one is here
    assert "ValueError: no such measure" in caplog.text  # the copy's reason is logged


def test_a_copy_that_dies_or_hangs_is_ended_and_the_work_done_here(caplog):
    def dies():
        if os.getpid() != parent:
            os._exit(3)
        return "here"

    parent = os.getpid()
    with forks.forked(dies) as result:
        assert result() == "here"
    with forks.forked(lambda: time.sleep(30) if os.getpid() != parent else "here", timeout=0.5) as result:
        started = time.monotonic()
        assert result() == "here"
    assert time.monotonic() - started < 10
    assert "did not answer in time" in caplog.text


def test_leaving_without_the_value_ends_the_copy(tmp_path):
    parent, marker = os.getpid(), tmp_path / "copy"

    def work():
        if os.getpid() != parent:
            marker.write_text(str(os.getpid()))
            time.sleep(30)

    with forks.forked(work):
        for _ in range(100):  # until the copy has started
            if marker.exists() and marker.read_text():
                break
            time.sleep(0.05)
    copy = int(marker.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(copy, 0)  # ended and reaped, not left running
