"""The examples in the module docstrings run."""

import asyncio
import doctest
import importlib
import pkgutil
import textwrap

import pytest
from webchat_vclock import VirtualClockLoop

import cxkit.gms
import cxkit.webchat

MODULES = sorted(
    f"{package.__name__}.{info.name}"
    for package in (cxkit.gms, cxkit.webchat)
    for info in pkgutil.iter_modules(package.__path__)
) + ["cxkit.gms", "cxkit.webchat"]


def _run_on_virtual_clock(coro):
    loop = VirtualClockLoop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


@pytest.mark.parametrize("name", MODULES)
def test_module_docstring_examples(name, monkeypatch):
    monkeypatch.setattr(asyncio, "run", _run_on_virtual_clock)
    module = importlib.import_module(name)
    assert module.__doc__, f"{name} has no docstring"
    result = doctest.testmod(module, verbose=False)
    assert result.failed == 0
    doc = module.__doc__
    if ">>>" not in doc and "    import asyncio" in doc:
        # an asyncio example written as a literal block: run it
        exec(compile(textwrap.dedent("    import asyncio" + doc.split("    import asyncio", 1)[1]),
                     name, "exec"), {})


def test_public_api_is_exported():
    for package in (cxkit.gms, cxkit.webchat):
        for name in package.__all__:
            assert hasattr(package, name), name
