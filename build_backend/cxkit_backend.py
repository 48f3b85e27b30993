"""cxkit's PEP 517 build backend: setuptools, with the pinned browser runtime packed into the wheel.

pyproject.toml names it (``build-backend = "cxkit_backend"``, ``backend-path = ["build_backend"]``),
so ``python -m build`` (sdist, then the wheel from it) and ``pip wheel .`` run, before setuptools
builds the wheel, ``cxkit.prebuild.prebuild_runtime``: ``npm ci`` when ``node_modules`` lacks the
runtime, then Pyodide's core files, PyScript's dist, cxkit's browser wheel (with Pyodide bytecode)
and their licences into ``pysrc/cxkit/runtime/``. That needs Node.js with npm; without them the
build stops with a message that says so. The sdist and editable installs (``pip install -e .``)
are setuptools' own: they need no Node.
"""

from __future__ import annotations

import sys
from pathlib import Path

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F401,F403  (every other hook is setuptools')


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _prebuild_runtime(Path.cwd())
    return _setuptools.build_wheel(wheel_directory, config_settings, metadata_directory)


def _prebuild_runtime(root: Path) -> None:
    sys.path.insert(0, str(root / "pysrc"))  # cxkit itself is not installed in the build environment
    try:
        from cxkit.assets import BuildError
        from cxkit.prebuild import prebuild_runtime
    finally:
        sys.path.pop(0)
    try:
        dest = prebuild_runtime(root)
    except BuildError as exc:
        print(f"\ncxkit: cannot build the wheel: {exc}\n", file=sys.stderr, flush=True)
        raise SystemExit(1) from None
    print(f"cxkit: browser runtime packed into {dest}", flush=True)
