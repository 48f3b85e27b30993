"""The runnable examples in the module docstrings are tests too."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import cxkit.mockgms

MODULES = ["cxkit.mockgms"] + [
    f"cxkit.mockgms.{m.name}" for m in pkgutil.iter_modules(cxkit.mockgms.__path__) if not m.ispkg
]


@pytest.mark.parametrize("name", MODULES)
def test_module_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_public_api_is_exported() -> None:
    for name in cxkit.mockgms.__all__:
        assert hasattr(cxkit.mockgms, name)
