"""Long work (propagation, export) on a worker thread, one job at a time, with events the page can follow."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from corrlearn.errors import CorrlearnError
from corrlearn.studio.project import Cancelled

log = logging.getLogger("corrlearn.studio")


class Job:
    """One run of ``work(report, cancelled)``: its events (progress, frames written, the end), and Cancel.

    Events are dicts with a ``seq`` number; the last one has ``kind == "end"`` and a ``status`` of ``done``,
    ``cancelled`` or ``error`` (with a one-line ``message``; never a traceback).
    """

    def __init__(self, kind: str, work: Callable[..., dict]):
        self.kind = kind
        self.events: list[dict] = []
        self.status = "running"
        self.started = time.monotonic()
        self._cond = threading.Condition()
        self._cancel = threading.Event()
        self._work = work
        self._thread = threading.Thread(target=self._run, name=f"studio-{kind}", daemon=True)
        self._thread.start()

    def _emit(self, payload: dict) -> None:
        with self._cond:
            event = {
                "seq": len(self.events),
                "job": self.kind,
                "t": round(time.monotonic() - self.started, 3),
            }
            event.update(payload)
            self.events.append(event)
            self._cond.notify_all()

    def report(self, **payload) -> None:
        kind = "frame" if "frame" in payload else "stage" if "stage" in payload else "progress"
        self._emit({"kind": kind, **payload})

    def _run(self) -> None:
        try:
            summary = self._work(self.report, self._cancel.is_set)
            end = {"status": "done", "summary": summary}
        except Cancelled:
            end = {"status": "cancelled", "message": "cancelled; finished stretches are kept"}
        except CorrlearnError as exc:
            end = {"status": "error", "message": str(exc)}
        except Exception as exc:  # a bug: the page gets one line, the terminal the traceback
            log.exception("studio %s failed", self.kind)
            end = {"status": "error", "message": f"internal error ({type(exc).__name__}: {exc})"}
        self.status = end["status"]
        self._emit({"kind": "end", **end})

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def running(self) -> bool:
        return self.status == "running"

    def events_after(self, seq: int, timeout: float) -> list[dict]:
        """Events numbered above ``seq``, waiting up to ``timeout`` seconds for one if there are none yet."""
        with self._cond:
            if len(self.events) <= seq + 1 and self.running:
                self._cond.wait(timeout)
            return self.events[seq + 1 :]

    def snapshot(self) -> dict:
        """The job's state for a poll: status, latest progress, and the last event."""
        with self._cond:
            progress = next((e for e in reversed(self.events) if e["kind"] == "progress"), None)
            return {
                "job": self.kind,
                "status": self.status,
                "done": progress["done"] if progress else 0,
                "total": progress["total"] if progress else 0,
                "last": self.events[-1] if self.events else None,
                "events": len(self.events),
            }

    def wait(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)


class Jobs:
    """At most one running job: a second Propagate while one runs is refused with a clear message."""

    def __init__(self):
        self.current: Job | None = None
        self._lock = threading.Lock()

    def start(self, kind: str, work: Callable[..., dict]) -> Job:
        with self._lock:
            if self.current is not None and self.current.running:
                raise CorrlearnError(f"a {self.current.kind} job is running; wait for it or cancel it")
            self.current = Job(kind, work)
            return self.current
