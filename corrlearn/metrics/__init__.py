"""Benchmark metrics. :mod:`corrlearn.metrics.davis` reproduces the official DAVIS J&F evaluation."""

from corrlearn.metrics.davis import (
    DavisEvaluation,
    ObjectRecord,
    db_eval_boundary,
    db_eval_iou,
    db_statistics,
    evaluate,
    evaluate_sequence,
    global_metrics,
)

__all__ = [
    "DavisEvaluation",
    "ObjectRecord",
    "db_eval_boundary",
    "db_eval_iou",
    "db_statistics",
    "evaluate",
    "evaluate_sequence",
    "global_metrics",
]
