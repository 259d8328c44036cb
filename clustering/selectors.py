"""Reads of opinion-group results used by routing, the staff report and residents' results."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

from clustering.math import ClusteringResult
from clustering.models import ClusteringRun

_RESULT_CACHE_SIZE = 8
# Keyed by (run id, finished at): a run never changes once finished, and the pair stays unique
# even where ids are reused (a rolled-back test transaction on SQLite).
_result_cache: OrderedDict[tuple, ClusteringResult] = OrderedDict()
_priority_cache: OrderedDict[tuple, dict[int, float]] = OrderedDict()
_cache_lock = threading.Lock()


def _remember(cache: OrderedDict, key: tuple, value):
    with _cache_lock:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > _RESULT_CACHE_SIZE:
            cache.popitem(last=False)
    return value


def run_latest_succeeded(*, conversation_id: int) -> ClusteringRun | None:
    """The run pages show. ``result_json`` is deferred: read it through :func:`run_result`."""
    return (
        ClusteringRun.objects.succeeded()
        .for_conversation(conversation_id)
        .latest_first()
        .defer("result_json")
        .first()
    )


def run_latest(*, conversation_id: int) -> ClusteringRun | None:
    return (
        ClusteringRun.objects.for_conversation(conversation_id)
        .latest_first()
        .defer("result_json")
        .first()
    )


def run_result(run: ClusteringRun) -> ClusteringResult:
    """The run's result, parsed once per process (runs never change after they finish)."""
    key = (run.pk, run.finished_at)
    cached = _result_cache.get(key)
    if cached is not None:
        return cached
    text = ClusteringRun.objects.filter(pk=run.pk).values_list("result_json", flat=True).get()
    return _remember(_result_cache, key, ClusteringResult.from_json(text))


_UNREAD = object()


def statement_weights_for(
    *, conversation, statement_ids: Sequence[int], latest_run=_UNREAD
) -> list[float]:
    """Routing weight per candidate: the latest run's priority, 1 for statements not yet scored.

    One small query (the latest succeeded run's id and finish time), unless the caller read that
    pair already (``latest_run``, None when there is no run); priorities are read once per process.
    """
    key = (
        ClusteringRun.objects.succeeded()
        .for_conversation(conversation.pk)
        .latest_first()
        .values_list("pk", "finished_at")
        .first()
        if latest_run is _UNREAD
        else latest_run
    )
    if key is None:
        return [1.0] * len(statement_ids)
    priorities = _priority_cache.get(key)
    if priorities is None:
        raw = ClusteringRun.objects.filter(pk=key[0]).values_list("priorities", flat=True).first()
        if raw is None and latest_run is not _UNREAD:
            # The run the caller saw was pruned since (a newer one finished): read the latest.
            return statement_weights_for(conversation=conversation, statement_ids=statement_ids)
        if raw is None:
            return [1.0] * len(statement_ids)
        priorities = _remember(_priority_cache, key, {int(k): float(v) for k, v in raw.items()})
    # A weight of 0 would hide a statement for good; keep every candidate reachable.
    return [max(priorities.get(int(pk), 1.0), 1e-6) for pk in statement_ids]
