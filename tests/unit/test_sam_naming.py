"""Stack names, CloudFormation-style physical names and samconfig.toml: pure."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from snaplambda.sam.naming import default_stack_name, physical_name, suffix
from snaplambda.sam.samconfig import choose_stack_name, read_samconfig
from snaplambda.sam.template import TemplateError


def test_physical_names_are_cloudformation_shaped_and_stable() -> None:
    name = physical_name("shop", "OrdersFunction")
    assert re.fullmatch(r"shop-OrdersFunction-[A-Z0-9]{12}", name)
    assert physical_name("shop", "OrdersFunction") == name  # a redeploy finds it again
    assert physical_name("shop2", "OrdersFunction") != name
    assert physical_name("shop", "OrdersFunction2") != name
    assert suffix("shop", "OrdersFunction") == name[-12:]


def test_long_names_are_cut_to_the_function_name_limit() -> None:
    long_stack = "s" * 80
    name = physical_name(long_stack, "HelloWorldFunction")
    assert len(name) == 64
    # A short logical id stays whole; the stack name gives way.
    assert name.startswith("s" * 32 + "-HelloWorldFunction-")
    both = physical_name("a" * 40, "B" * 40)
    assert len(both) == 64 and both.startswith("a" * 25 + "-" + "B" * 25 + "-")
    # Names that only differ past the cut still differ.
    assert physical_name("a" * 40, "B" * 40 + "x") != both


def test_stack_names(tmp_path: Path) -> None:
    project = tmp_path / "9_sam_app"
    project.mkdir()
    template = project / "template.yaml"
    assert default_stack_name(template) == "sam-app"
    config = read_samconfig(project)
    assert choose_stack_name(None, config, template) == "sam-app"
    assert choose_stack_name("given", config, template) == "given"
    with pytest.raises(TemplateError, match=r"Stack name 'no_good' \(--stack-name\) is not valid"):
        choose_stack_name("no_good", config, template)
    (project / "samconfig.toml").write_text(
        'version = 0.1\n[default.deploy.parameters]\nstack_name = "from-config"\n'
        'parameter_overrides = "Stage=prod Size=2"\n'
        '[default.global.parameters]\nstack_name = "global-one"\n'
    )
    config = read_samconfig(project)
    assert config.parameter_overrides == ("Stage=prod Size=2",)
    assert choose_stack_name(None, config, template) == "from-config"  # deploy beats global
    assert choose_stack_name("given", config, template) == "given"
    (project / "samconfig.toml").write_text('[default.deploy.parameters]\nstack_name = "x_y"\n')
    with pytest.raises(TemplateError, match=r"stack_name in .*samconfig\.toml"):
        choose_stack_name(None, read_samconfig(project), template)
    (project / "samconfig.toml").write_text("[default\n")
    with pytest.raises(TemplateError, match="Cannot read"):
        read_samconfig(project)
