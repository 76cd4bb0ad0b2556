"""Stack records: ownership is exclusive, bad records are refused naming the field,
and records survive a restart (real SQLite)."""

from __future__ import annotations

from pathlib import Path

import pytest

from snaplambda.control.errors import ResourceConflict, ResourceNotFound, ValidationError
from snaplambda.control.stacks import SqliteStackStore, StackService


def fn(logical: str, name: str) -> dict[str, str]:
    return {
        "LogicalResourceId": logical,
        "ResourceType": "AWS::Lambda::Function",
        "PhysicalResourceId": name,
    }


def test_records_are_exclusive_and_durable(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    stacks = StackService(SqliteStackStore(db))
    first = stacks.put("shop", {"Resources": [fn("Orders", "shop-orders")]})
    stacks.put("blog", {"Resources": [fn("Posts", "blog-posts")]})
    with pytest.raises(ResourceConflict, match=r"shop-orders .* belongs to stack shop"):
        stacks.put("blog", {"Resources": [fn("Posts", "blog-posts"), fn("Mine", "shop-orders")]})
    assert [s.name for s in stacks.list("shop-orders")] == ["shop"]
    again = stacks.put(
        "shop",
        {
            "Resources": [fn("Orders", "shop-orders")],
            "Outputs": [{"OutputKey": "Arn", "OutputValue": "arn:x", "Description": "d"}],
        },
    )
    assert again.created == first.created
    stacks.close()
    reopened = StackService(SqliteStackStore(db))
    shop = reopened.get("shop").to_aws()
    assert shop["Resources"][0]["PhysicalResourceId"] == "shop-orders"
    assert shop["Outputs"] == [{"OutputKey": "Arn", "OutputValue": "arn:x", "Description": "d"}]
    reopened.delete("shop")
    with pytest.raises(ResourceNotFound, match="Stack with id shop does not exist"):
        reopened.get("shop")
    # Once shop is gone, its function may join another stack.
    reopened.put("blog", {"Resources": [fn("Posts", "blog-posts"), fn("Mine", "shop-orders")]})
    reopened.close()


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("bad_name", {}, "Value 'bad_name' at 'stackName'"),
        ("ok", {"Resources": "x"}, "at 'resources'"),
        ("ok", {"Resources": [{"LogicalResourceId": "A-b"}]}, "'A-b' at 'resources.1.logical"),
        ("ok", {"Resources": [fn("A", "x"), fn("A", "y")]}, "Member must be unique"),
        (
            "ok",
            {"Resources": [{**fn("A", "x"), "ResourceType": "Function"}]},
            "'Function' at 'resources.1.resourceType'",
        ),
        ("ok", {"Outputs": [{"OutputKey": "K"}]}, "at 'outputs.1.outputValue'"),
    ],
)
def test_bad_records_are_refused(
    tmp_path: Path, name: str, body: dict[str, object], message: str
) -> None:
    stacks = StackService(SqliteStackStore(tmp_path / "s.db"))
    with pytest.raises(ValidationError, match=message):
        stacks.put(name, body)
    stacks.close()
