"""The runtime's immortal snapshot objects (runtime/immortal.py): which objects get
the immortal count and which keep counting, checked in python3.12 and 3.13
interpreters (the test suite's own may be older, where nothing must change)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from snaplambda.runtime import immortal
from tests.support import interpreter_for

RUNTIME_DIR = Path(immortal.__file__).parent

SCRIPT = """
import collections, enum, gc, json, sys, weakref
sys.path.insert(0, sys.argv[1])
import immortal

class Color(enum.Enum):
    RED = 1

class Thing:
    def method(self):
        return ("a constant tuple", 12345678901234)

Pair = collections.namedtuple("Pair", "left right")

def make_thing():
    return Thing()

THING = make_thing()
ITEMS = [1, 2, 3]
OPTIONS = {"key": "a value string " + str(len(sys.argv))}
PAIR = Pair(1, 2)
NAMES = ("name-" + str(len(sys.argv)), "other")
finalized = []
weakref.finalize(THING, finalized.append, "thing")
DEEP = ()
for i in range(100_000):  # nested far deeper than Python's recursion limit
    DEEP = (i + 10**9, DEEP)
SHARED = ()
for _ in range(200):  # 2**200 paths to the innermost tuple: each is walked once
    SHARED = (SHARED, SHARED)

def innermost(chain):
    while chain[1]:
        chain = chain[1]
    return chain[0]

gc.collect()
applied = immortal.immortalize()
gc.freeze()
count = sys.getrefcount
constants = Thing.method.__code__.co_consts
out = {
    "applied": applied,
    "immortal": {
        "function": count(make_thing),
        "code": count(make_thing.__code__),
        "class": count(Thing),
        "class namespace": count(vars(Thing)),  # a proxy; its dict is below
        "module": count(sys.modules[__name__]),
        "module namespace": count(globals()),
        "enum member": count(Color.RED),
        "tuple": count(NAMES),
        "str in a tuple": count(NAMES[0]),
        "str in a dict": count(OPTIONS["key"]),
        "constant": count(constants[-1]),
        "int in a constant": count(constants[-1][1]),
        "builtin": count(len),
        "deepest value": count(innermost(DEEP)),
        "shared tuple": count(SHARED[0][1][0]),
    },
    "mortal": {
        "instance": count(THING),
        "list": count(ITEMS),
        "dict": count(OPTIONS),
        "named tuple": count(PAIR),
    },
}
del out["immortal"]["class namespace"]
out["immortal"]["class dict"] = count([d for d in gc.get_referents(Thing) if type(d) is dict][0])
# What stays mortal is still freed, with its finalizer.
THING = None
gc.collect()
out["finalized"] = finalized
# Immortal objects keep working as before.
out["works"] = make_thing().method()[1] == 12345678901234 and Color(1) is Color.RED
print(json.dumps(out))
"""


@pytest.mark.parametrize("runtime", ["python3.12", "python3.13"])
def test_immortal_objects_and_mortal_ones(runtime: str) -> None:
    done = subprocess.run(
        [interpreter_for(runtime), "-c", SCRIPT, str(RUNTIME_DIR)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    out = json.loads(done.stdout)
    assert out["applied"] is True
    assert out["immortal"] == dict.fromkeys(out["immortal"], immortal.IMMORTAL)
    assert all(n < 100 for n in out["mortal"].values()), out["mortal"]
    assert out["finalized"] == ["thing"]
    assert out["works"] is True


def test_nothing_changes_where_the_header_is_unknown() -> None:
    expected = (
        sys.version_info[:2] in ((3, 12), (3, 13))
        and not {"t", "d"} & set(sys.abiflags)
        and not hasattr(sys, "getobjects")
    )
    assert immortal.supported() is expected
    if not expected:

        def probe() -> None:  # a function: a kind immortalize() would change
            pass

        before = sys.getrefcount(probe)
        assert immortal.immortalize() is False
        assert sys.getrefcount(probe) == before
