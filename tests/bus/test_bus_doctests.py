"""Each module's opening example must run."""

import doctest
import importlib

import pytest

MODULES = ["", ".app", ".bus", ".config", ".deferred", ".errors", ".events", ".handlers", ".jsvalues", ".loader", ".master",
           ".messages", ".plugin", ".scheduler"]


@pytest.mark.parametrize("suffix", MODULES)
def test_module_docstring_example_runs(suffix):
    from cxkit.bus import set_bus

    set_bus(None)
    module = importlib.import_module("cxkit.bus" + suffix)
    assert module.__doc__ and ">>>" in module.__doc__
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    set_bus(None)
    assert result.failed == 0 and result.attempted > 0
