"""Studio jobs: one at a time, cancellable, and every ending is one line for the page."""

from __future__ import annotations

import threading

import pytest

from corrlearn.errors import CorrlearnError
from corrlearn.studio.jobs import Jobs
from corrlearn.studio.project import Cancelled


def _until_cancelled(started):
    def work(report, cancelled):
        report(done=0, total=2)
        started.set()
        while not cancelled():
            threading.Event().wait(0.01)
        raise Cancelled

    return work


def test_one_job_at_a_time_and_cancel():
    jobs, started = Jobs(), threading.Event()
    job = jobs.start("propagate", _until_cancelled(started))
    assert started.wait(10)
    with pytest.raises(CorrlearnError, match="a propagate job is running; wait for it or cancel it"):
        jobs.start("export", lambda report, cancelled: {})
    job.cancel()
    job.wait(10)
    assert job.events[-1]["kind"] == "end" and job.events[-1]["status"] == "cancelled"
    assert job.snapshot()["total"] == 2
    assert jobs.start("export", lambda report, cancelled: {"ok": 1}) is not job


def test_errors_end_the_job_with_one_line():
    def user_error(report, cancelled):
        raise CorrlearnError("frames/00003.jpg: frame is missing")

    def bug(report, cancelled):
        raise ZeroDivisionError("division by zero")

    for work, message in ((user_error, "frames/00003.jpg: frame is missing"),
                          (bug, "internal error (ZeroDivisionError: division by zero)")):  # fmt: skip
        job = Jobs().start("propagate", work)
        job.wait(10)
        assert job.events[-1] == {**job.events[-1], "status": "error", "message": message}
        assert "\n" not in job.events[-1]["message"]
