"""Embedded Metric Format: custom metrics printed by functions as JSON log lines.

``{"_aws": {"Timestamp": <ms>, "CloudWatchMetrics": [{"Namespace": ..., "Dimensions":
[[...]], "Metrics": [{"Name", "Unit", "StorageResolution"}]}]}, <dim>: ..., <metric>:
value or [values]}``.  Pure: :func:`parse` turns one line into samples or raises
:class:`EmfError` naming what is wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import orjson

MAX_DIMENSIONS = 30
MAX_METRICS = 100


class EmfError(ValueError):
    """A line that claims to be EMF (has ``_aws``) but is not valid EMF."""


@dataclass(frozen=True, slots=True)
class Sample:
    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    """Sorted (name, value) pairs."""
    timestamp_ms: int
    value: float
    unit: str = "None"
    storage_resolution: int = 60


def looks_like_emf(message: str) -> bool:
    """Cheap test: worth parsing as EMF."""
    return message.startswith("{") and '"_aws"' in message


def parse(message: str, default_ts_ms: int) -> list[Sample]:
    """The samples of one EMF line; raises :class:`EmfError`."""
    try:
        doc = orjson.loads(message)
    except orjson.JSONDecodeError as exc:
        raise EmfError(f"not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise EmfError("not a JSON object")
    meta = doc.get("_aws")
    if not isinstance(meta, dict):
        raise EmfError("_aws is not an object")
    ts = meta.get("Timestamp", default_ts_ms)
    if isinstance(ts, bool) or not isinstance(ts, int | float):
        raise EmfError(f"_aws.Timestamp is not a number: {ts!r}")
    directives = meta.get("CloudWatchMetrics")
    if not isinstance(directives, list) or not directives:
        raise EmfError("_aws.CloudWatchMetrics is not a non-empty list")
    samples: list[Sample] = []
    for i, directive in enumerate(directives):
        where = f"_aws.CloudWatchMetrics[{i}]"
        if not isinstance(directive, dict):
            raise EmfError(f"{where} is not an object")
        namespace = directive.get("Namespace")
        if not isinstance(namespace, str) or not namespace:
            raise EmfError(f"{where}.Namespace is missing")
        dim_sets = directive.get("Dimensions", [[]])
        if not isinstance(dim_sets, list) or not all(isinstance(d, list) for d in dim_sets):
            raise EmfError(f"{where}.Dimensions is not a list of lists")
        metrics = directive.get("Metrics")
        if not isinstance(metrics, list) or not metrics:
            raise EmfError(f"{where}.Metrics is not a non-empty list")
        if len(metrics) > MAX_METRICS:
            raise EmfError(f"{where}.Metrics has {len(metrics)} metrics (at most {MAX_METRICS})")
        resolved: list[tuple[tuple[str, str], ...]] = []
        for dims in dim_sets or [[]]:
            if len(dims) > MAX_DIMENSIONS:
                raise EmfError(f"{where}: {len(dims)} dimensions (at most {MAX_DIMENSIONS})")
            pairs = []
            for dim in dims:
                if not isinstance(dim, str):
                    raise EmfError(f"{where}: dimension name {dim!r} is not a string")
                if dim not in doc:
                    raise EmfError(f"{where}: dimension {dim!r} has no value in the document")
                pairs.append((dim, str(doc[dim])))
            resolved.append(tuple(sorted(pairs)))
        for metric in metrics:
            if not isinstance(metric, dict) or not isinstance(metric.get("Name"), str):
                raise EmfError(f"{where}: metric definition without a Name: {metric!r}")
            name = metric["Name"]
            values = doc.get(name)
            if values is None:
                raise EmfError(f"{where}: metric {name!r} has no value in the document")
            if not isinstance(values, list):
                values = [values]
            for value in values:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise EmfError(f"metric {name!r}: value {value!r} is not a number")
                if not math.isfinite(value):
                    raise EmfError(f"metric {name!r}: value {value!r} is not finite")
                for dims_t in resolved:
                    samples.append(
                        Sample(
                            namespace,
                            name,
                            dims_t,
                            int(ts),
                            float(value),
                            str(metric.get("Unit", "None")),
                            int(metric.get("StorageResolution", 60) or 60),
                        )
                    )
    return samples
