"""The human-readable report printed at the end of a run."""

from __future__ import annotations

from .results import SuiteResult
from .scenarios.snapstart import SCALE_OUT
from .stats import Summary


def _ms(value: float) -> str:
    return f"{value:,.2f} ms" if value < 100 else f"{value:,.1f} ms"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Rows under a header; the first column left-aligned, the rest right-aligned."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    out = []
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        out.append("  " + "  ".join(cells).rstrip())
    return out


def _cold_start(result: SuiteResult) -> list[str]:
    lines = ["(a) Cold start, end to end at the API, against a bare interpreter importing the code"]
    header = ["function", "p50", "p95", "Init Duration p50", "baseline p50", "baseline p95"]
    header += ["import only p50", "import only p95", "first after deploy"]
    rows = []
    for c in result.cold_start:
        e2e, base, strict = c.end_to_end_ms, c.baseline_ms, c.import_only_ms
        row = [f"{c.function} (n={c.iterations})", _ms(e2e.p50), _ms(e2e.p95)]
        row += [_ms(c.init_duration_ms.p50), _ms(base.p50), _ms(base.p95)]
        row += [_ms(strict.p50), _ms(strict.p95), _ms(c.first_after_deploy.end_to_end_ms)]
        rows.append(row)
    lines += _table(header, rows)
    ratios = []
    for c in result.cold_start:
        values = [c.ratio_p50, c.ratio_p95, c.strict_ratio_p50, c.strict_ratio_p95]
        values.append(c.paired_strict_ratio_p50)
        ratios.append([c.function, *(f"{v:.3f}x" for v in values)])
    header = ["cold / baseline", "p50", "p95", "cold / import only p50", "p95", "paired p50"]
    lines += ["", *_table(header, ratios)]
    for c in result.cold_start:
        if c.phases_ms:
            parts = [f"{name.replace('_', ' ')} {_ms(s.p50)}" for name, s in c.phases_ms.items()]
            lines.append(f"  {c.function} phases (p50): " + ", ".join(parts))
    return lines


def _latency(result: SuiteResult) -> list[str]:
    warm = result.warm_latency
    rows: list[tuple[str, Summary]] = [
        ("end to end (lean client)", warm.end_to_end_ms),
        ("end to end with log tail", warm.tail_end_to_end_ms),
        ("REPORT Duration", warm.function_duration_ms),
        ("platform overhead (e2e - Duration)", warm.platform_overhead_ms),
        ("fastapi_app via Mangum, end to end", result.fastapi_warm_ms),
    ]
    if warm.boto3_ms is not None:
        rows.append(("boto3 invoke, end to end", warm.boto3_ms))
    lines = [f"(b) Warm invoke latency, {warm.function}, one keep-alive connection"]
    lines += _table(
        ["", "n", "p50", "p99", "mean", "max"],
        [[label, str(s.n), _ms(s.p50), _ms(s.p99), _ms(s.mean), _ms(s.max)] for label, s in rows],
    )
    return lines


def _throughput(result: SuiteResult) -> list[str]:
    rows = []
    for t in result.throughput:
        load, use = t.load, t.load.cpu
        row = [str(load.connections), f"{load.invocations_per_s:,.0f}", _ms(load.latency_p50_ms)]
        row += [_ms(load.latency_p99_ms), str(load.errors), str(t.environments)]
        row += [f"{v:.2f}" for v in (use.server, use.environments, use.client, use.other)]
        rows.append(row)
    header = ["connections", "invocations/s", "p50", "p99", "errors", "environments"]
    header += ["server", "envs", "client", "other"]
    lines = ["(c) Warm throughput, closed loop, client in its own process; CPU in cores"]
    lines += _table(header, rows)
    return lines


def _memory(result: SuiteResult) -> list[str]:
    rows = []
    for when, group in (("idle", result.memory_idle), ("after load", result.memory_after_load)):
        for m in group:
            row = [f"{when}: {m.function}", str(m.environments), f"{m.pss_mb:.1f}"]
            row += [f"{m.rss_mb:.1f}", f"{m.uss_mb:.1f}", f"{m.pss_total_mb:.1f}"]
            rows.append(row)
    lines = ["(d) Memory per process (mean over a function's environments), MB"]
    lines += _table(["", "envs", "PSS", "RSS", "USS", "PSS total"], rows)
    return lines


def _snapstart(result: SuiteResult) -> list[str]:
    snap = result.snapstart
    if snap is None:
        return []
    rows: list[tuple[str, Summary]] = [
        ("fresh cold start ($LATEST), end to end", snap.fresh_ms),
        ("  its Init Duration", snap.fresh_init_duration_ms),
    ]
    restores = [snap.restores] + ([snap.primed] if snap.primed is not None else [])
    for r in restores:
        label = " (primed)" if r.primed else ""
        rows += [
            (f"restore cold start{label}, end to end", r.restore_ms),
            ("  its Restore Duration", r.restore_duration_ms),
            (f"bare fork floor{label} (fork + handler call)", r.fork_floor_ms),
        ]
        if r.fork_floor_unpreloaded_ms is not None:
            rows.append(("  bare fork floor without preload", r.fork_floor_unpreloaded_ms))
    rows.append(("warm invoke of the version", snap.warm_ms))
    lines = [f"(e) SnapStart, the FastAPI app on {snap.runtime}, published versions"]
    lines += _table(
        ["", "n", "p50", "p99", "mean", "max"],
        [[label, str(s.n), _ms(s.p50), _ms(s.p99), _ms(s.mean), _ms(s.max)] for label, s in rows],
    )
    lines.append(
        f"  fresh env RSS {snap.fresh_rss_mb:.1f} MB (PSS {snap.fresh_pss_mb:.1f}); "
        f"fresh / restore p50 {snap.ratio_fresh_restore_p50:.1f}x"
        + (
            f", fresh / primed restore p50 {snap.ratio_fresh_primed_p50:.1f}x"
            if snap.ratio_fresh_primed_p50 is not None
            else ""
        )
    )
    for r in restores:
        lines.append(
            f"  {'primed' if r.primed else 'unprimed'}: snapshot built in "
            f"{r.snapshot_build_s:.1f} s; restore / fork floor p50 "
            f"{r.ratio_restore_floor_p50:.2f}x; restored env PSS {r.restored_pss_mb:.1f} MB "
            f"(RSS {r.restored_rss_mb:.1f}, USS {r.restored_uss_mb:.1f}); holder PSS {r.holder_pss_mb:.1f} MB "
            f"(RSS {r.holder_rss_mb:.1f}); {r.scaled_envs} restored envs after "
            f"{SCALE_OUT} requests at once: PSS {r.scaled_pss_mb:.1f} MB each; the first "
            f"restores, while the snapshot learns: "
            + ", ".join(f"{ms:.1f}" for ms in r.learning_ms)
            + " ms"
        )
    return lines


def _targets(result: SuiteResult, heavy_function: str) -> list[str]:
    rows = []
    for t in result.targets(heavy_function):
        bound = f"{'>=' if t.at_least else '<='} {t.bound:g} {t.unit}"
        rows.append([t.name, f"{t.measured:,.3f} {t.unit}", bound, "met" if t.met else "NOT MET"])
    return ["Targets", *_table(["", "measured", "target", ""], rows)]


def render(result: SuiteResult, heavy_function: str) -> str:
    meta = result.meta
    foreign = result.foreign_cpu_percent
    lines = [
        f"snaplambda benchmark  {meta['date']}  {meta['cpus']} CPUs ({meta['cpu_model']})  "
        f"rev {meta['revision']}  run took {result.wall_time_s:.0f} s",
        f"function interpreter {meta['function_interpreter']}, "
        f"memory limiter {meta['memory_limiter']}",
        "",
        *_cold_start(result),
        "",
        *_latency(result),
        "",
        *_throughput(result),
        "",
        *_memory(result),
        "",
        *_snapstart(result),
        "",
        "CPU taken by other processes during each step (% of the machine): "
        + ", ".join(f"{step} {share:g}%" for step, share in foreign.items()),
    ]
    if max(foreign.values(), default=0.0) > 10:
        lines.append("  WARNING: the machine was busy with other work; figures are pessimistic")
    lines += ["", *_targets(result, heavy_function)]
    return "\n".join(lines)
