"""Training checkpoints: everything needed to continue a run bit-for-bit, written atomically.

A checkpoint is a dict with ``model`` (the encoder's state dict, so the file loads straight into
``corrlearn propagate --weights``), ``objective_state`` (the full objective: heads, momentum encoder, queue), ``objective`` (its name),
``optimizer``, ``scheduler``, ``step``, ``config`` and ``rng`` (per rank: torch, CUDA, numpy, python).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch

from corrlearn.errors import CorrlearnError
from corrlearn.io.atomic import atomic_path

LAST = "checkpoint.pt"


def rng_state() -> dict:
    """This process's random generator states, as tensors and numbers (so ``weights_only`` loading works)."""
    _, keys, pos, has_gauss, gauss = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": {
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "gauss": float(gauss),
        },
        "python": {
            "version": version,
            "internal": torch.tensor(internal, dtype=torch.int64),
            "gauss_next": gauss_next,
        },
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state(
        ("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["gauss"])
    )
    p = state["python"]
    random.setstate((p["version"], tuple(int(v) for v in p["internal"].tolist()), p["gauss_next"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save(path: str | os.PathLike, payload: dict) -> None:
    """Write ``payload`` to ``path`` atomically (temp file + rename), keeping the previous one until done."""
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load(path: str | os.PathLike) -> dict:
    """Read a training checkpoint written by :func:`save` (safe loading: ``weights_only=True``)."""
    p = Path(path)
    if not p.is_file():
        raise CorrlearnError(f"{p}: no checkpoint to resume from")
    try:
        return torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CorrlearnError(f"{p}: checkpoint cannot be read ({type(exc).__name__})") from None
