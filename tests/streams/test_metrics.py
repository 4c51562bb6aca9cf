"""Prometheus text exposition of the worker's counters."""

from streams.metrics import Metrics


def test_exposition_has_counters_by_label_and_a_cumulative_histogram():
    metrics = Metrics()
    metrics.fold.rejected["unknown_violation_code"] += 2
    metrics.fold.commands["warn"] += 1
    metrics.fold_latency.observe(0.002)
    metrics.fold_latency.observe(3.0)
    text = metrics.prometheus()
    assert 'tally_events_rejected_total{reason="unknown_violation_code"} 2' in text
    assert 'tally_commands_total{action="warn"} 1' in text
    assert 'tally_fold_seconds_bucket{le="0.0025"} 1' in text
    assert 'tally_fold_seconds_bucket{le="+Inf"} 2' in text
    assert "tally_fold_seconds_count 2" in text
    assert text.endswith("\n")
