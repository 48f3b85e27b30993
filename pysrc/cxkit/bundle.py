"""Build the self-contained static bundle that pages load cxkit from.

    >>> from cxkit.bundle import build_bundle
    >>> manifest = build_bundle(out=Path("build"))      # doctest: +SKIP
    >>> manifest["wheels"][0]                             # doctest: +SKIP
    'wheels/3f9c.../cxkit-0.1.0-py3-none-any.whl'

The bundle holds everything a page needs, so nothing is ever fetched from a CDN:

- ``widgets.js``: the drop-in loader (``cxkit/web/widgets.js`` with the manifest filled in)
  and ``modules/<hash>/``: its modules (the worker link, the DOM adapters, the worker);
- ``pyscript/<version>/``: PyScript's dist without source maps; ``pyodide/<version>/``: the
  Pyodide runtime;
- ``wheels/<hash>/``: a wheel of the browser part of cxkit (no server code); the content hash
  in the path lets it be cached forever;
- pages rendered with jinja2 from ``cxkit/web/templates/``: the demo (``index.html``) and,
  with ``test_pages=True`` only, the pages test suites use (``e2e*.html``).

Its inputs come from the installed package, or in a checkout from ``node_modules`` and the
sources (`cxkit.assets`). Big assets also get ``.gz`` and ``.br`` twins that the server sends
to browsers that accept them. A second build with nothing changed only re-checks file stamps.
A rebuild keeps the versioned folders it replaces for a day (`KEEP_REPLACED_S`): visitors'
cached ``widgets.js`` still names them.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cxkit

from .assets import PYODIDE_FILES, BuildError, locate_assets
from .browser_wheel import BROWSER_PACKAGES, browser_sources_digest, build_browser_wheel
from .checkout import find_checkout
from .filecopy import copy_if_changed, write_if_changed

__all__ = [
    "BROWSER_PACKAGES",
    "browser_sources_digest",
    "BuildError",
    "PYODIDE_FILES",
    "build_bundle",
    "build_browser_wheel",
    "default_out",
    "project_root",
    "user_cache_dir",
]

COMPRESS_SUFFIXES = (".js", ".mjs", ".wasm", ".zip", ".json", ".css", ".html", ".whl")
COMPRESS_MIN_BYTES = 8 * 1024


def project_root() -> Path:
    """The cxkit checkout cxkit runs from (`cxkit.checkout.find_checkout`: ``CXKIT_ROOT``, or
    the source tree this package is imported from); BuildError for an installed cxkit."""
    root = find_checkout()
    if root is None:
        raise BuildError("cxkit is installed, not running from its checkout; set CXKIT_ROOT to a checkout")
    return root


def user_cache_dir(name: str) -> Path:
    """``<user cache>/cxkit/<name>``: ``$XDG_CACHE_HOME`` or ``~/.cache`` (``%LOCALAPPDATA%`` on Windows).

        >>> user_cache_dir("test-bundle").parts[-2:]
        ('cxkit', 'test-bundle')
    """
    base = os.environ.get("XDG_CACHE_HOME") or (os.environ.get("LOCALAPPDATA") if os.name == "nt" else None)
    return Path(base or Path.home() / ".cache") / "cxkit" / name


def default_out(checkout: Path | None) -> Path:
    """Where ``cxkit build`` writes without ``--out``: ``<checkout>/build`` in a checkout,
    else ``build/`` in the current folder.

        >>> default_out(Path("/src/cxkit"))
        PosixPath('/src/cxkit/build')
    """
    return checkout / "build" if checkout else Path.cwd() / "build"


def compress_twins(path: Path) -> None:
    """Write ``path``'s ``.gz`` (and, with brotli installed, ``.br``) twin unless it is current."""
    data = None
    for suffix, encode in ((".gz", lambda b: gzip.compress(b, 9, mtime=0)), (".br", _brotli)):
        twin = path.with_name(path.name + suffix)
        if twin.exists() and twin.stat().st_mtime >= path.stat().st_mtime:
            continue
        if encode is None:
            continue
        data = path.read_bytes() if data is None else data
        write_if_changed(twin, encode(data))


def _brotli_encoder():
    try:
        import brotli
    except ImportError:  # optional: .gz twins are enough
        return None
    return lambda b: brotli.compress(b, quality=9)


_brotli = _brotli_encoder()


#: Pages and static files only the test suites use (``e2e*``): left out unless ``test_pages=True``.
TEST_PREFIX = "e2e"


def _drop(path: Path) -> None:
    for stale in (path, path.with_name(path.name + ".gz"), path.with_name(path.name + ".br")):
        stale.unlink(missing_ok=True)


def _render_pages(web: Path, out: Path, manifest: dict[str, Any], test_pages: bool) -> list[str]:
    import jinja2

    tpl_dir = web / "templates"
    if not tpl_dir.is_dir():
        return []
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(tpl_dir)), autoescape=jinja2.select_autoescape(["html"])
    )
    pages = []
    for tpl in sorted(tpl_dir.glob("*.html")):
        if tpl.name.startswith("_"):
            continue
        if not test_pages and tpl.name.startswith(TEST_PREFIX):
            _drop(out / tpl.name)
            continue
        html = env.get_template(tpl.name).render(manifest=manifest, version=cxkit.__version__)
        write_if_changed(out / tpl.name, html.encode())
        pages.append(tpl.name)
    return pages


def _copy_web_static(web: Path, out: Path, test_pages: bool) -> None:
    static = web / "static"
    if static.is_dir():
        for path in static.rglob("*"):
            if not path.is_file():
                continue
            if not test_pages and path.name.startswith(TEST_PREFIX):
                _drop(out / "static" / path.relative_to(static))
            else:
                copy_if_changed(path, out / "static" / path.relative_to(static))


#: The loader's modules (``web/*.mjs``): the worker link, the DOM adapters and the worker script.
MODULES = {"link": "link.mjs", "worker": "worker.mjs"}


def _copy_modules(web: Path, out: Path) -> dict[str, str]:
    """Copy ``web/*.mjs`` under a digest of their bytes (so their URLs can be cached forever);
    returns the manifest entries (``link``, ``worker``)."""
    sources = sorted(web.glob("*.mjs"))
    digest = hashlib.sha256(b"".join(p.name.encode() + b"\0" + p.read_bytes() for p in sources)).hexdigest()[:16]
    for path in sources:
        copy_if_changed(path, out / digest / path.name)
    _keep_only(out, {out / digest})
    return {key: f"modules/{digest}/{name}" for key, name in MODULES.items()}


#: How long a replaced versioned folder stays: a visitor's cached ``widgets.js`` may name it
#: for that long (its ``Cache-Control``: max-age 5 min + stale-while-revalidate 1 day).
KEEP_REPLACED_S = 86_400 + 300


def _keep_only(folder: Path, keep: set[Path]) -> None:
    """Mark ``keep`` as in use now; remove the other folders unused for `KEEP_REPLACED_S`."""
    now = time.time()
    for path in keep:
        if path.is_dir():
            os.utime(path, (now, now))
    for stale in folder.iterdir() if folder.is_dir() else ():
        if stale.is_dir() and stale not in keep and now - stale.stat().st_mtime > KEEP_REPLACED_S:
            shutil.rmtree(stale)


#: Fetched at once when the page boots on its own thread, while PyScript itself loads (instead of
#: after its import chain). Not the .wasm: a preloaded response bypasses V8's wasm code cache
#: (warm boot +430 ms measured).
MAIN_PRELOAD = ("pyodide.mjs", "pyodide.asm.mjs", "python_stdlib.zip", "pyodide-lock.json")
#: PyScript plugins a widget does not use: the editor, terminal and game ones, and the error
#: plugin, which would put banners on the host page (cxkit reports to the console and on
#: ``cxkit:failed`` instead).
MAIN_PLUGINS_OFF = ("codemirror", "deprecations-manager", "donkey", "error", "py-editor", "py-game", "py-terminal")


def _main_thread_boot(pyodide: Path, pyodide_rel: str, wheels: list[str]) -> dict[str, Any]:
    """What widgets.js needs to boot under PyScript on the page's thread (``thread: "main"``)."""
    version = json.loads((pyodide / "pyodide-lock.json").read_text())["info"]["python"]
    major_minor = ".".join(version.split(".")[:2])
    return {
        "sitePackages": f"/lib/python{major_minor}/site-packages/*",
        "preload": [*(f"{pyodide_rel}/{name}" for name in MAIN_PRELOAD), *wheels],
        "plugins": [f"!{name}" for name in MAIN_PLUGINS_OFF],
    }


def build_bundle(root: Path | None = None, out: Path | None = None, *, test_pages: bool = False) -> dict[str, Any]:
    """Build (or refresh) the static bundle in ``out`` and return its manifest.

    ``root``: a cxkit checkout to build from (default: the checkout cxkit runs from, else the
    installed package's assets). ``out``: default `default_out`. ``test_pages=True`` adds the
    pages only test suites use (``e2e*.html``; one of them can run Python the page sends):
    never on a real site.

    Raises :class:`BuildError` naming what is missing (e.g. ``npm ci`` not run).
    """
    assets = locate_assets(root)
    out = out or default_out(assets.checkout)
    runtime = assets.runtime

    # Runtime files live under their version, so they can be cached forever.
    pyodide_rel = f"pyodide/{runtime.pyodide_version}"
    pyscript_rel = f"pyscript/{runtime.pyscript_version}"
    for name in PYODIDE_FILES:
        copy_if_changed(runtime.pyodide_dir / name, out / pyodide_rel / name)
    for src in runtime.pyscript_dir.iterdir():
        if src.is_file() and not src.name.endswith(".map"):
            copy_if_changed(src, out / pyscript_rel / src.name)
    _keep_only(out / "pyodide", {out / pyodide_rel})
    _keep_only(out / "pyscript", {out / pyscript_rel})

    wheel_digest = hashlib.sha256(runtime.wheel.read_bytes()).hexdigest()[:16]
    wheel = out / "wheels" / wheel_digest / runtime.wheel.name
    copy_if_changed(runtime.wheel, wheel)
    _keep_only(out / "wheels", {wheel.parent})

    manifest: dict[str, Any] = {
        "version": cxkit.__version__,
        "pyodide": f"{pyodide_rel}/pyodide.mjs",
        "pyscript": f"{pyscript_rel}/core.js",
        "wheels": [wheel.relative_to(out).as_posix()],
        "sources": runtime.sources,
        **_copy_modules(assets.web, out / "modules"),
        "main": _main_thread_boot(out / pyodide_rel, pyodide_rel, [wheel.relative_to(out).as_posix()]),
        "testPages": test_pages,
    }
    loader = (assets.web / "widgets.js").read_text()
    loader = loader.replace("/*@MANIFEST@*/{}", json.dumps(manifest, separators=(",", ":")))
    write_if_changed(out / "widgets.js", loader.encode())
    _copy_web_static(assets.web, out, test_pages)
    manifest["pages"] = _render_pages(assets.web, out, manifest, test_pages)
    write_if_changed(out / "manifest.json", json.dumps(manifest, indent=1).encode())

    for path in _bundle_files(out, manifest["pages"]):
        if path.suffix in COMPRESS_SUFFIXES and path.stat().st_size >= COMPRESS_MIN_BYTES:
            compress_twins(path)
    return manifest


#: The folders a build writes into ``out``; anything else there is not the bundle's.
BUNDLE_DIRS = ("pyodide", "pyscript", "wheels", "modules", "static")


def _bundle_files(out: Path, pages: list[str]) -> Iterator[Path]:
    """The files a build wrote into ``out``, old versioned folders included, and nothing else:
    ``out`` may hold other things (a user's own files beside the bundle; in a checkout built by
    an older cxkit, setuptools' staging folder, whose files must not get twins that a wheel
    built there would then carry)."""
    for name in ("widgets.js", "manifest.json", *pages):
        if (out / name).is_file():
            yield out / name
    for folder in BUNDLE_DIRS:
        for path in sorted((out / folder).rglob("*")):
            if path.is_file():
                yield path
