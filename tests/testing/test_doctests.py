"""The examples in cxkit.testing's docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["control", "server", "guard", "chromium", "page", "plugin"])
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"cxkit.testing.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
