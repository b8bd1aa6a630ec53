"""Benchmark runners: a generic resumable/shardable loop (:mod:`.runner`) and per-benchmark drivers."""

from corrlearn.bench.runner import Runner, effective_shard, parse_shard, shard_items

__all__ = ["Runner", "effective_shard", "parse_shard", "shard_items"]
