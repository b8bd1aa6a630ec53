"""A resumable, shardable loop over the items of a benchmark (sequences, videos), independent of the benchmark.

Layout of a run directory::

    RUN_DIR/config.json          everything that determines the outputs; a restart must match it exactly
    RUN_DIR/results/<item>/      one folder per finished item, renamed into place only when complete
    RUN_DIR/done/<item>.json     the done-marker, written after the rename, with the item's record
    RUN_DIR/shards/<i>-of-<n>.json  wall time and peak memory of each shard process

An item counts as done only when both its folder and its marker exist. A run killed at any moment leaves at
most a hidden temporary folder (removed on restart) or a folder without a marker (recomputed), so a restart
produces the same files as an uninterrupted run. Sharding is by position in the item list: shard ``i`` of
``n`` takes items ``i, i + n, i + 2n, ...``; torchrun's RANK/WORLD_SIZE split each shard further.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from corrlearn.errors import CorrlearnError
from corrlearn.io.atomic import write_json_atomic

RESULTS = "results"
DONE = "done"
SHARDS = "shards"
CONFIG = "config.json"


def parse_shard(text: str | None) -> tuple[int, int]:
    """``"i/n"`` (0-based i) -> (i, n); None -> (0, 1). Bad input is a :class:`CorrlearnError`."""
    if text is None:
        return 0, 1
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise CorrlearnError(f"--shard {text!r}: expected i/n with 0 <= i < n, e.g. 0/4") from None
    if n < 1 or not 0 <= i < n:
        raise CorrlearnError(f"--shard {text!r}: expected i/n with 0 <= i < n, e.g. 0/4")
    return i, n


def effective_shard(shard: tuple[int, int], env: dict[str, str] | None = None) -> tuple[int, int]:
    """Combine an explicit shard with torchrun's RANK/WORLD_SIZE: rank r of w inside shard i of n is i*w+r of n*w."""
    env = os.environ if env is None else env
    try:
        world = int(env.get("WORLD_SIZE", "1"))
        rank = int(env.get("RANK", "0"))
    except ValueError:
        raise CorrlearnError("RANK/WORLD_SIZE environment variables are not integers") from None
    if world < 1 or not 0 <= rank < world:
        raise CorrlearnError(f"RANK={rank} is outside WORLD_SIZE={world}")
    i, n = shard
    return i * world + rank, n * world


def shard_items(items: Sequence[str], shard: tuple[int, int]) -> list[str]:
    """Items of shard (i, n): positions i, i + n, ..."""
    i, n = shard
    return list(items[i::n])


def peak_rss_mib() -> float:
    """Peak resident memory of this process in MiB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def _canonical(obj: object) -> object:
    return json.loads(json.dumps(obj, sort_keys=True, default=str))


def _diff(old: dict, new: dict) -> list[str]:
    keys = sorted(set(old) | set(new))
    return [k for k in keys if old.get(k) != new.get(k)]


@dataclass
class Runner:
    """Run ``work(item, out_dir) -> record`` over items, skipping finished ones.

    ``config`` is a JSON-able dict of everything that determines the outputs; resuming into a run directory
    with a different config is refused. ``work`` must write its outputs into the folder it is given (which
    exists and is empty) and return a JSON-able dict, stored in the item's done-marker.
    """

    run_dir: Path
    config: dict

    def __post_init__(self) -> None:
        self.run_dir = Path(self.run_dir)
        self.config = _canonical(self.config)

    @classmethod
    def open(cls, run_dir: str | os.PathLike) -> Runner:
        """A runner on an existing run directory, with the config stored there."""
        path = Path(run_dir) / CONFIG
        try:
            config = json.loads(path.read_text())
        except FileNotFoundError:
            raise CorrlearnError(f"{path}: not found; {run_dir} is not a run directory") from None
        except ValueError:
            raise CorrlearnError(f"{path}: corrupt run config") from None
        return cls(Path(run_dir), config)

    # ----------------------------------------------------------------------------------------- state
    def result_dir(self, item: str) -> Path:
        return self.run_dir / RESULTS / item

    def marker(self, item: str) -> Path:
        return self.run_dir / DONE / f"{item}.json"

    def is_done(self, item: str) -> bool:
        return self.marker(item).is_file() and self.result_dir(item).is_dir()

    def record(self, item: str) -> dict:
        """The record stored in an item's done-marker."""
        try:
            return json.loads(self.marker(item).read_text())
        except (OSError, ValueError) as exc:
            raise CorrlearnError(f"{self.marker(item)}: unreadable done-marker ({exc})") from None

    def missing(self, items: Sequence[str]) -> list[str]:
        return [it for it in items if not self.is_done(it)]

    def prepare(self) -> None:
        """Create the run directory and its config, or check that the existing config is the same."""
        path = self.run_dir / CONFIG
        if path.is_file():
            try:
                old = json.loads(path.read_text())
            except ValueError:
                raise CorrlearnError(
                    f"{path}: corrupt run config; remove the run directory to start over"
                ) from None
            if old != self.config:
                keys = ", ".join(_diff(old, self.config))
                raise CorrlearnError(
                    f"{path}: run directory was made with a different configuration (differs in: {keys}); "
                    "use a new --out or the original settings"
                )
        else:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            write_json_atomic(path, self.config)
        for sub in (RESULTS, DONE, SHARDS):
            (self.run_dir / sub).mkdir(exist_ok=True)

    # ----------------------------------------------------------------------------------------- running
    def run(
        self,
        items: Sequence[str],
        work: Callable[[str, Path], dict],
        shard: tuple[int, int] = (0, 1),
        progress: bool = True,
        desc: str = "items",
    ) -> dict:
        """Process this shard's unfinished items; return the shard summary (also written to ``shards/``)."""
        from tqdm import tqdm

        made = _missing_folders(self.run_dir)  # what prepare() is about to create, deepest first
        new_run = not (self.run_dir / CONFIG).exists()
        self.prepare()
        mine = shard_items(items, shard)
        todo = self.missing(mine)
        start = time.perf_counter()
        done_now = []
        bar = tqdm(
            total=len(mine), initial=len(mine) - len(todo), desc=desc, unit="item", disable=not progress
        )
        try:
            for item in todo:
                self._run_one(item, work)
                done_now.append(item)
                bar.update(1)
        except CorrlearnError:
            # a user's error before anything was finished: leave no run directory that blocks the corrected
            # rerun (one process only: other shards may be writing into a shared one)
            if new_run and not done_now and shard[1] == 1:
                self._undo_prepare(made)
            raise
        finally:
            bar.close()
        summary = {
            "shard": f"{shard[0]}/{shard[1]}",
            "items": mine,
            "computed": done_now,
            "skipped": [it for it in mine if it not in done_now],
            "wall_s": time.perf_counter() - start,
            "peak_rss_mib": peak_rss_mib(),
            "pid": os.getpid(),
        }
        write_json_atomic(self.run_dir / SHARDS / f"{shard[0]}-of-{shard[1]}.json", summary)
        return summary

    def _undo_prepare(self, made: list[Path]) -> None:
        """Remove what :meth:`prepare` created in a new run directory (``made``: the folders it created),
        as long as nothing else has appeared in it."""
        try:
            for sub in (RESULTS, DONE, SHARDS):
                (self.run_dir / sub).rmdir()  # only if empty
            (self.run_dir / CONFIG).unlink(missing_ok=True)
            for folder in made:
                folder.rmdir()
        except OSError:
            pass

    def _run_one(self, item: str, work: Callable[[str, Path], dict]) -> None:
        final = self.result_dir(item)
        tmp = final.parent / f".{item}.tmp-{os.getpid()}"
        self._remove_stale(item)
        tmp.mkdir(parents=True)
        t0 = time.perf_counter()
        try:
            record = dict(work(item, tmp) or {})
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        record.setdefault("item", item)
        record["wall_s"] = time.perf_counter() - t0
        record["peak_rss_mib"] = peak_rss_mib()
        if final.exists():  # a folder without a marker: left by a run killed between rename and marker
            shutil.rmtree(final)
        os.replace(tmp, final)
        write_json_atomic(self.marker(item), record)

    def _remove_stale(self, item: str) -> None:
        """Temporary folders of killed runs, and a result folder whose marker never got written."""
        parent = self.run_dir / RESULTS
        for p in parent.glob(f".{item}.tmp-*"):
            pid = p.name.rsplit("-", 1)[-1]
            if not (pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid))):
                shutil.rmtree(p, ignore_errors=True)
        if self.result_dir(item).exists() and not self.marker(item).is_file():
            shutil.rmtree(self.result_dir(item))


def _missing_folders(path: Path) -> list[Path]:
    """``path`` and those of its parents that do not exist yet, deepest first."""
    out = []
    p = path.absolute()
    while not p.exists() and p != p.parent:
        out.append(p)
        p = p.parent
    return out


def _alive(pid: int) -> bool:
    """Whether a process with this id exists (another shard may be working on the same item)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
