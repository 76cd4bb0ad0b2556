"""Prometheus text exposition of the metric store's running totals."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from .metrics import BUCKETS, MetricsStore

_COUNTERS = {
    "Invocations": ("snaplambda_invocations", "Invocations per function and version"),
    "Errors": ("snaplambda_errors", "Invocations that ended in a function error"),
    "ColdStarts": ("snaplambda_cold_starts", "Invocations that started an environment"),
    "Throttles": ("snaplambda_throttles", "Invocations refused for concurrency"),
    "DeadLetterErrors": (
        "snaplambda_dead_letter_errors",
        "Async event outcomes that could not be stored (destination or dead letter)",
    ),
}
_HISTOGRAMS = {
    "Duration": ("snaplambda_duration_seconds", "Invocation duration"),
    "InitDuration": ("snaplambda_init_duration_seconds", "Init duration of cold starts"),
    "RestoreDuration": ("snaplambda_restore_duration_seconds", "SnapStart restore duration"),
    "AsyncEventAge": ("snaplambda_async_event_age_seconds", "Age of async events at their run"),
}


class _StoreCollector(Collector):
    def __init__(
        self,
        store: MetricsStore,
        in_flight: Mapping[str, int],
        extra: Callable[[], Iterator[Metric]] | None,
    ) -> None:
        self.store = store
        self.in_flight = in_flight
        self.extra = extra

    def collect(self) -> Iterator[Metric]:
        store = self.store
        with store._totals_lock:  # a consistent copy, released before formatting
            counters = dict(store.totals.counters)
            hists = {
                k: (list(h.buckets), h.count, h.sum) for k, h in store.totals.histograms.items()
            }
            custom = dict(store.totals.custom)
            emf_errors = store.totals.emf_errors
            gauges = dict(store.totals.gauges)
        for metric, (name, doc) in _COUNTERS.items():
            family = CounterMetricFamily(name, doc, labels=["function", "version"])
            for (m, function, version), value in sorted(counters.items()):
                if m == metric:
                    family.add_metric([function, version], value)
            yield family
        for metric, (name, doc) in _HISTOGRAMS.items():
            hfamily = HistogramMetricFamily(name, doc, labels=["function", "version"])
            for (m, function, version), (buckets, count, total) in sorted(hists.items()):
                if m != metric:
                    continue
                cumulative, running = [], 0
                for bound, n in zip(BUCKETS, buckets, strict=True):
                    running += n
                    cumulative.append((str(bound), float(running)))
                cumulative.append(("+Inf", float(count)))
                hfamily.add_metric([function, version], cumulative, total)
            yield hfamily
        gauge = GaugeMetricFamily(
            "snaplambda_concurrent_executions", "Invocations running now", labels=["function"]
        )
        for function, running in sorted(self.in_flight.items()):
            gauge.add_metric([function], running)
        yield gauge
        pcu = GaugeMetricFamily(
            "snaplambda_provisioned_concurrency_utilization",
            "Busy provisioned environments / allocated, per alias or version",
            labels=["function", "qualifier"],
        )
        for (m, function, qualifier), value in sorted(gauges.items()):
            if m == "ProvisionedConcurrencyUtilization":
                pcu.add_metric([function, qualifier], value)
        yield pcu
        ccount = CounterMetricFamily(
            "snaplambda_custom_metric_samples",
            "Samples of custom (EMF) metrics",
            labels=["namespace", "metric", "dimensions"],
        )
        csum = CounterMetricFamily(
            "snaplambda_custom_metric_sum",
            "Sum of custom (EMF) metric values",
            labels=["namespace", "metric", "dimensions"],
        )
        clast = GaugeMetricFamily(
            "snaplambda_custom_metric_last",
            "Last value of custom (EMF) metrics",
            labels=["namespace", "metric", "dimensions"],
        )
        for (ns, metric, dims), (count, total, last) in sorted(custom.items()):
            ccount.add_metric([ns, metric, dims], count)
            csum.add_metric([ns, metric, dims], total)
            clast.add_metric([ns, metric, dims], last)
        yield from (ccount, csum, clast)
        yield CounterMetricFamily(
            "snaplambda_emf_errors", "Malformed Embedded Metric Format lines", value=emf_errors
        )
        if self.extra is not None:
            yield from self.extra()


def exposition(
    store: MetricsStore,
    in_flight: Mapping[str, int] | None = None,
    extra: Callable[[], Iterator[Metric]] | None = None,
) -> bytes:
    """The Prometheus text format of everything ``store`` counts, with ``in_flight``
    (invocations running now, per function) as the concurrent executions gauge."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_StoreCollector(store, in_flight or {}, extra))
    return generate_latest(registry)
