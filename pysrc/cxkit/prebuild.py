"""The release build's step: pack the pinned browser runtime into the package (``cxkit/runtime/``).

    >>> from cxkit.prebuild import prebuild_runtime
    >>> prebuild_runtime(Path("/work/cxkit"))          # doctest: +SKIP
    PosixPath('/work/cxkit/pysrc/cxkit/runtime')

The in-tree build backend (``build_backend/cxkit_backend.py``) runs this before setuptools builds
the wheel, so that ``pip install cxkit`` is all a user needs: ``cxkit build`` then copies the
runtime out of the package, with no Node and no network. It needs Node.js with npm, once, at
release time: ``npm ci`` (when ``node_modules`` lacks the runtime) fetches the Pyodide and
PyScript that ``package-lock.json`` pins, and Pyodide under Node compiles the browser wheel's
bytecode. What it writes (git-ignored)::

    runtime/runtime.json        {"pyodide": "314.0.7", "pyscript": "0.7.31", "wheel": ..., "sources": ...}
    runtime/pyodide/            Pyodide's core files (PYODIDE_FILES)
    runtime/pyscript/           PyScript's dist, without source maps
    runtime/wheel/              cxkit's browser wheel, with Pyodide bytecode
    runtime/licenses/           Pyodide's (MPL-2.0) and PyScript's (Apache-2.0) licence texts
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from .assets import PYODIDE_FILES, RUNTIME_MANIFEST, BuildError, checkout_runtime
from .filecopy import copy_if_changed, write_if_changed

__all__ = ["LICENSES", "NEEDS_NODE", "prebuild_runtime", "runtime_dir"]

#: Licence texts that ship with the runtime: (name in runtime/licenses, candidates in the
#: checkout, first existing wins). The npm ``pyodide`` package has no LICENSE file, so the
#: checkout keeps Pyodide's licence (MPL-2.0) in ``licenses/``; Pyodide carries CPython and its
#: standard library (python_stdlib.zip), so the PSF licence ships too.
LICENSES = (
    ("Pyodide-LICENSE.txt", ("node_modules/pyodide/LICENSE", "licenses/Pyodide-LICENSE.txt")),
    ("PyScript-LICENSE.txt", ("node_modules/@pyscript/core/LICENSE", "licenses/PyScript-LICENSE.txt")),
    ("Python-LICENSE.txt", ("licenses/Python-LICENSE.txt",)),
)
NEEDS_NODE = (
    "building cxkit from source needs Node.js 20+ with npm: the pinned Pyodide and PyScript come "
    "from npm, and Pyodide (run by Node) compiles cxkit's browser modules. Install Node "
    "(Debian: apt-get install nodejs npm) and build again, or install a released wheel: pip install cxkit"
)


def runtime_dir(root: Path) -> Path:
    """Where the runtime goes in the source tree ``root``: ``pysrc/cxkit/runtime``."""
    return root / "pysrc" / "cxkit" / "runtime"


def _npm_ci(root: Path) -> None:
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise BuildError(NEEDS_NODE + f" ({'npm' if npm is None else 'node'} is not on PATH)")
    print(f"cxkit prebuild: npm ci in {root}", flush=True)
    proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=root,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError(f"`npm ci` in {root} failed: {(proc.stderr or proc.stdout).strip()[-600:]}")


def _sync(pairs: list[tuple[Path, Path]], dest: Path) -> None:
    """Copy each (src, dst) and delete every other file under ``dest``."""
    for src, dst in pairs:
        copy_if_changed(src, dst)
    wanted = {dst for _, dst in pairs} | {dest / RUNTIME_MANIFEST}
    for path in sorted(dest.rglob("*"), reverse=True):
        if path.is_file() and path not in wanted:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def prebuild_runtime(root: Path, dest: Path | None = None) -> Path:
    """Fill ``dest`` (default `runtime_dir`) from the checkout or unpacked sdist ``root``;
    returns ``dest``. Raises `BuildError` (saying what to install) without Node/npm."""
    dest = dest or runtime_dir(root)
    if not all((root / "node_modules" / pkg / "package.json").is_file() for pkg in ("pyodide", "@pyscript/core")):
        _npm_ci(root)
    if shutil.which("node") is None:
        raise BuildError(NEEDS_NODE + " (node is not on PATH)")
    runtime = checkout_runtime(root, bytecode_required=True)
    pairs = [(runtime.pyodide_dir / name, dest / "pyodide" / name) for name in PYODIDE_FILES]
    pairs += [(src, dest / "pyscript" / src.name) for src in sorted(runtime.pyscript_dir.iterdir())
              if src.is_file() and not src.name.endswith(".map")]
    pairs.append((runtime.wheel, dest / "wheel" / runtime.wheel.name))
    for name, candidates in LICENSES:
        found = next((root / c for c in candidates if (root / c).is_file()), None)
        if found is None:
            raise BuildError(f"no licence text for {name} (looked for {', '.join(candidates)} in {root})")
        pairs.append((found, dest / "licenses" / name))
    dest.mkdir(parents=True, exist_ok=True)
    _sync(pairs, dest)
    info = {"pyodide": runtime.pyodide_version, "pyscript": runtime.pyscript_version,
            "wheel": f"wheel/{runtime.wheel.name}", "sources": runtime.sources}
    write_if_changed(dest / RUNTIME_MANIFEST, (json.dumps(info, indent=1) + "\n").encode())
    return dest
