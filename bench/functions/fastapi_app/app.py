"""An import-heavy function: a FastAPI app with a pydantic model behind Mangum.

The module timestamps its own start and end with the system-wide monotonic clock
and returns them (with its pid) in the ``x-bench-init`` response header, so the suite
can split a cold start into phases from outside the platform.
"""

import time

MODULE_START_NS = time.monotonic_ns()

# The imports below are what is being measured, so they must follow the timestamp.
import os  # noqa: E402

from fastapi import FastAPI, Response  # noqa: E402
from mangum import Mangum  # noqa: E402
from pydantic import BaseModel, Field  # noqa: E402


class Item(BaseModel):
    id: int
    name: str = Field(min_length=1, max_length=64)
    price: float = Field(ge=0)
    tags: list[str] = []


api = FastAPI(title="bench")


@api.get("/items/{item_id}")
def read_item(item_id: int, response: Response, q: str | None = None) -> Item:
    response.headers["x-bench-init"] = f"{MODULE_START_NS},{MODULE_END_NS},{os.getpid()}"
    return Item(id=item_id, name=q or f"item-{item_id}", price=item_id * 1.5, tags=["bench"])


handler = Mangum(api, lifespan="off")

MODULE_END_NS = time.monotonic_ns()
