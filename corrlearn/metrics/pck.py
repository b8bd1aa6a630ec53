"""PCK on JHMDB: the fraction of joints predicted within alpha x a body-size normaliser of the truth.

Definition (ajabri/videowalk ``eval/eval_pck.py``; Spa-then-Temp ``jhmdb_dataset.py::pck_evaluate``):

* a joint is *evaluated* in frame t only if it was predicted: a prediction with x < 0 (decoders write -1 for
  a channel with no mass) is skipped. STT keeps only x > 0; ``visible_rule="x>0"`` selects that;
* the normaliser of frame t is 0.6 x the diagonal of the bounding box of the ground-truth joints *that are
  evaluated* in that frame (the references build the box with the prediction-based visibility);
* distances are pooled per joint over every frame of every video; PCK@alpha of a joint is the fraction with
  distance / normaliser <= alpha; the reported PCK is the mean over the joints (over the 15 JHMDB joints);
* frame 0 (the given annotation) is skipped by CRW/UVC (``skip_first=True``, the default) and counted by
  STT/VFS (``skip_first=False``);
* a normaliser of 0 (a single evaluated joint) makes the distance inf, or NaN if the prediction is exact;
  both count as misses, as in the references (which divide by zero).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ALPHAS = (0.1, 0.2, 0.3, 0.4, 0.5)
VISIBLE_RULES = ("x>=0", "x>0")


def evaluated_mask(pred: np.ndarray, rule: str = "x>=0") -> np.ndarray:
    """(J, T) mask of the joints that count: predicted ones, per ``rule`` on the predicted x."""
    if rule == "x>=0":
        return pred[0] >= 0
    if rule == "x>0":
        return pred[0] > 0
    raise ValueError(f"visible_rule must be one of {VISIBLE_RULES}, got {rule!r}")


def normalized_distances(
    pred: np.ndarray,
    gt: np.ndarray,
    skip_first: bool = True,
    visible_rule: str = "x>=0",
    visible: np.ndarray | None = None,
) -> np.ndarray:
    """(J, T) distance / normaliser for one video; NaN where the joint is not evaluated.

    ``pred`` and ``gt`` are (2, J, T) [x; y] in the same pixel frame. ``visible`` (J, T) overrides the
    prediction-based rule (e.g. to evaluate every annotated joint).
    """
    pred = np.asarray(pred, dtype=np.float64)
    gt = np.asarray(gt, dtype=np.float64)
    if pred.shape != gt.shape or pred.ndim != 3 or pred.shape[0] != 2:
        raise ValueError(f"pred and gt must both be (2, J, T); got {pred.shape} and {gt.shape}")
    vis = evaluated_mask(pred, visible_rule) if visible is None else np.asarray(visible, dtype=bool)
    vis = vis.copy()
    if skip_first:
        vis[:, 0] = False
    # box of the evaluated GT joints; frames with none get a NaN normaliser (nothing is evaluated there)
    big = np.where(vis[None], gt, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"), _quiet():
        span = np.nanmax(big, axis=1) - np.nanmin(big, axis=1)  # (2, T)
        norm = 0.6 * np.hypot(span[0], span[1])
        dist = np.hypot(pred[0] - gt[0], pred[1] - gt[1]) / norm[None]
    dist[~vis] = np.nan
    # NaN from 0/0 on an evaluated joint must stay a miss, not "not evaluated": mark it +inf
    dist[vis & np.isnan(dist)] = np.inf
    return dist


class _quiet:
    """Silence numpy's all-NaN slice warnings (frames where nothing is evaluated)."""

    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._w.__exit__(*exc)


@dataclass
class PckAccumulator:
    """Pools per-joint normalised distances over videos; :meth:`result` gives PCK per joint and mean."""

    num_joints: int = 15
    skip_first: bool = True
    visible_rule: str = "x>=0"
    _dists: list[list[np.ndarray]] = field(default_factory=list, repr=False)

    def __post_init__(self):
        if not self._dists:
            self._dists = [[] for _ in range(self.num_joints)]

    def add(self, pred: np.ndarray, gt: np.ndarray, visible: np.ndarray | None = None) -> np.ndarray:
        """Add one video; returns its (J, T) normalised distances (NaN = not evaluated)."""
        d = normalized_distances(pred, gt, self.skip_first, self.visible_rule, visible)
        if d.shape[0] != self.num_joints:
            raise ValueError(f"expected {self.num_joints} joints, got {d.shape[0]}")
        for j in range(self.num_joints):
            row = d[j]
            self._dists[j].append(row[~np.isnan(row)])
        return d

    def counts(self) -> np.ndarray:
        """Number of evaluated (joint, frame) pairs per joint."""
        return np.array([sum(len(a) for a in lst) for lst in self._dists])

    def result(self, alphas: tuple[float, ...] = ALPHAS) -> dict:
        """{"PCK@a": mean over joints (percent), "per_joint": {"PCK@a": [J values]}, "count": [J]}."""
        return pck_from_distances(
            [np.concatenate(lst) if lst else np.zeros(0) for lst in self._dists], alphas
        )


def pck_from_distances(dists: list[np.ndarray], alphas: tuple[float, ...] = ALPHAS) -> dict:
    """PCK (percent) per joint and averaged over joints; a joint never evaluated gives NaN and is left out."""
    out: dict = {"per_joint": {}, "count": [int(len(d)) for d in dists]}
    for a in alphas:
        per = np.array([100.0 * np.mean(d <= a) if len(d) else np.nan for d in dists])
        key = f"PCK@{a:g}"
        out["per_joint"][key] = per.tolist()
        out[key] = float(np.nanmean(per)) if np.isfinite(per).any() else float("nan")
    return out


def video_pck(pred: np.ndarray, gt: np.ndarray, alphas: tuple[float, ...] = ALPHAS, **kw) -> dict:
    """PCK of a single video (pooled over its frames per joint, then averaged over joints)."""
    acc = PckAccumulator(num_joints=np.asarray(gt).shape[1], **kw)
    acc.add(pred, gt)
    return acc.result(alphas)
