"""Where a bundle's files come from: the installed package, or a cxkit checkout.

    >>> from cxkit.assets import locate_assets
    >>> assets = locate_assets()                          # doctest: +SKIP
    >>> assets.runtime.pyodide_version, assets.checkout   # doctest: +SKIP
    ('314.0.7', None)

- **Installed** (``pip install cxkit``): the wheel carries the loader and page templates
  (``cxkit/web/``) and, prebuilt by the release build, the pinned runtime (``cxkit/runtime/``:
  Pyodide's core files, PyScript's dist, cxkit's browser wheel with Pyodide bytecode, their
  licences and ``runtime.json``). No Node, no network.
- **Checkout** (`cxkit.checkout.find_checkout`): the same web files from the source tree, the
  runtime from ``node_modules`` (``npm ci``) and the browser wheel built from the sources,
  so an edit shows up at the next build.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .build_error import BuildError
from .checkout import find_checkout

__all__ = [
    "BuildError", "BundleAssets", "PACKAGE_DIR", "PYODIDE_FILES", "RUNTIME_MANIFEST", "Runtime",
    "checkout_runtime", "locate_assets", "packaged_runtime",
]

PACKAGE_DIR = Path(__file__).resolve().parent
#: The files of the npm ``pyodide`` package a page loads (the rest are types, maps, consoles).
PYODIDE_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)
#: In the packaged runtime folder: versions and file names of what it holds.
RUNTIME_MANIFEST = "runtime.json"


@dataclass(frozen=True)
class Runtime:
    """The pinned browser runtime and cxkit's browser wheel, ready to copy into a bundle."""

    pyodide_dir: Path       #: holds PYODIDE_FILES
    pyodide_version: str
    pyscript_dir: Path      #: PyScript's dist (source maps are never copied)
    pyscript_version: str
    wheel: Path             #: cxkit-<version>-py3-none-any.whl, the browser subpackages
    sources: str            #: digest of the wheel's sources (``browser_sources_digest``)


@dataclass(frozen=True)
class BundleAssets:
    """Everything `cxkit.bundle.build_bundle` copies: web files and the runtime."""

    web: Path               #: widgets.js, the loader's modules (*.mjs), templates/, static/
    runtime: Runtime
    checkout: Path | None   #: the checkout they come from; None for the installed package


def _npm_version(pkg_dir: Path) -> str:
    return json.loads((pkg_dir / "package.json").read_text())["version"]


def checkout_runtime(root: Path, *, bytecode_required: bool = False) -> Runtime:
    """The runtime of a checkout: ``node_modules`` plus a browser wheel built from ``pysrc/``
    into ``<root>/.cache/browser-wheel`` (again only when the sources changed)."""
    from .browser_wheel import browser_sources_digest, build_browser_wheel

    modules = root / "node_modules"
    pyodide_dir = modules / "pyodide"
    pyscript_dir = modules / "@pyscript" / "core" / "dist"
    if not pyodide_dir.is_dir() or not pyscript_dir.is_dir():
        raise BuildError(f"runtime assets missing under {modules}: run `npm ci` in {root}")
    for name in PYODIDE_FILES:
        if not (pyodide_dir / name).is_file():
            raise BuildError(f"{pyodide_dir / name} is missing: run `npm ci` in {root}")
    wheels = root / ".cache" / "browser-wheel"
    wheel = build_browser_wheel(root / "pysrc", wheels, pyodide_dir, pyc_cache=root / ".cache" / "pyc",
                                bytecode_required=bytecode_required)
    for stale in wheels.iterdir():
        if stale != wheel.parent:
            shutil.rmtree(stale, ignore_errors=True)
    return Runtime(pyodide_dir, _npm_version(pyodide_dir), pyscript_dir, _npm_version(pyscript_dir.parent),
                   wheel, browser_sources_digest(root / "pysrc"))


def packaged_runtime(runtime_dir: Path | None = None) -> Runtime:
    """The runtime the release build packed into the wheel (``cxkit/runtime/``)."""
    from . import __version__

    runtime_dir = runtime_dir or PACKAGE_DIR / "runtime"
    try:
        info: dict[str, Any] = json.loads((runtime_dir / RUNTIME_MANIFEST).read_text())
        runtime = Runtime(runtime_dir / "pyodide", info["pyodide"], runtime_dir / "pyscript", info["pyscript"],
                          runtime_dir / info["wheel"], info["sources"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BuildError(
            f"this cxkit {__version__} has no packaged runtime ({runtime_dir / RUNTIME_MANIFEST}: {exc}); "
            "reinstall it from a release wheel: python -m pip install --force-reinstall cxkit") from None
    missing = [p for p in (*(runtime.pyodide_dir / f for f in PYODIDE_FILES), runtime.pyscript_dir / "core.js",
                           runtime.wheel) if not p.is_file()]
    if missing:
        raise BuildError(f"the packaged runtime in {runtime_dir} is incomplete (no {missing[0].name}): "
                         "reinstall it: python -m pip install --force-reinstall cxkit")
    return runtime


def locate_assets(root: Path | None = None) -> BundleAssets:
    """The assets of the checkout ``root`` (default: the one cxkit runs from, if any), else
    the installed package's. Raises `BuildError` saying what is missing."""
    root = root or find_checkout()
    if root is not None:
        return BundleAssets(root / "pysrc" / "cxkit" / "web", checkout_runtime(root), root)
    return BundleAssets(PACKAGE_DIR / "web", packaged_runtime(), None)
