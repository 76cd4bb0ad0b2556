"""snaplambda's benchmark suite: cold start, warm latency, throughput and memory of a
local ``snaplambda serve``, measured in one run.  Entry point: :mod:`bench.run`."""
