"""One module per measured figure; each exposes ``run(...)`` returning a result dataclass."""
