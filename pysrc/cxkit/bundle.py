"""Build the self-contained static bundle (``build/``) that pages load cxkit from.

    >>> from cxkit.bundle import build_bundle, project_root
    >>> manifest = build_bundle(project_root())          # doctest: +SKIP
    >>> manifest["wheels"][0]                             # doctest: +SKIP
    'wheels/3f9c.../cxkit-0.1.0-py3-none-any.whl'

The bundle holds everything a page needs, so nothing is ever fetched from a CDN:

- ``widgets.js``: the drop-in loader (``web/widgets.js`` with the manifest filled in);
- ``pyscript/``: PyScript's dist without source maps; ``pyodide/``: the Pyodide runtime;
- ``wheels/<hash>/``: a wheel of the browser part of cxkit (no server code) and the
  pinned pyodide-http wheel; the content hash in the path lets them be cached forever;
- pages rendered with jinja2 from ``web/templates/``.

Big assets also get ``.gz`` and ``.br`` twins that the server sends to browsers that
accept them. A second build with nothing changed only re-checks file stamps.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import cxkit

__all__ = [
    "BROWSER_PACKAGES",
    "browser_sources_digest",
    "BuildError",
    "PYODIDE_FILES",
    "build_bundle",
    "build_browser_wheel",
    "project_root",
]

#: Subpackages of cxkit that run in the browser; everything else (mock server, CLI,
#: pytest plugin, this module) stays out of the browser wheel.
BROWSER_PACKAGES = ("bus", "gms", "webchat", "browser", "ui")
PYODIDE_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)
PYODIDE_HTTP = ("pyodide-http", "0.2.2", "cf006ea593c1643b5badeb4d42ed24a6eebd830276171fa1f82de0777b3fb608")
COMPRESS_SUFFIXES = (".js", ".mjs", ".wasm", ".zip", ".json", ".css", ".html", ".whl")
COMPRESS_MIN_BYTES = 8 * 1024


class BuildError(RuntimeError):
    """The bundle could not be built; the message says what is missing and what to run."""


def project_root() -> Path:
    """The checkout cxkit runs from (holds ``web/`` and ``package.json``).

    ``CXKIT_ROOT`` overrides; otherwise the checkout that contains this package.
    """
    env = os.environ.get("CXKIT_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(cxkit.__file__).resolve()
    for parent in here.parents:
        if (parent / WEB / "widgets.js").is_file() and (parent / "package.json").is_file():
            return parent
    raise BuildError(
        "cannot find the cxkit checkout (web/widgets.js, package.json); set CXKIT_ROOT to it"
    )


def _copy_if_changed(src: Path, dst: Path) -> bool:
    if dst.exists():
        s, d = src.stat(), dst.stat()
        if s.st_size == d.st_size and int(s.st_mtime) == int(d.st_mtime):
            return False
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)
    return True


def _write_if_changed(dst: Path, data: bytes) -> bool:
    if dst.exists() and dst.read_bytes() == data:
        return False
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(dst)
    return True


def _browser_sources(src_root: Path) -> list[tuple[str, Path]]:
    pkg = src_root / "cxkit"
    files = [("cxkit/__init__.py", pkg / "__init__.py")]
    for sub in BROWSER_PACKAGES:
        base = pkg / sub
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                files.append((path.relative_to(src_root).as_posix(), path))
    return files


def browser_sources_digest(src_root: Path) -> str:
    """A digest of the browser wheel's sources (names and bytes), kept in manifest.json so a
    stale bundle can be told without rebuilding it."""
    h = hashlib.sha256()
    for arc, path in _browser_sources(src_root):
        h.update(arc.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _precompiled(entries: list[tuple[str, bytes]], pyodide_dir: Path, cache: Path) -> list[tuple[str, bytes]]:
    """Pyodide bytecode for ``entries`` (``__pycache__/*.cpython-314.pyc``), compiled once per
    set of sources by Pyodide itself under Node: the browser then skips compiling our modules
    at boot (~80 ms here). Empty, with a note, when Node or Pyodide is not at hand."""
    digest = hashlib.sha256(b"".join(arc.encode() + b"\0" + data for arc, data in entries)).hexdigest()[:16]
    done = cache / digest
    if not done.is_dir():
        node = shutil.which("node")
        script = Path(__file__).resolve().parent / "web" / "tools" / "precompile.mjs"
        if node is None or not (pyodide_dir / "pyodide.mjs").is_file() or not script.is_file():
            print("cxkit build: no Node.js or Pyodide; the wheel ships without bytecode", file=sys.stderr)
            return []
        with tempfile.TemporaryDirectory() as tmp:
            for arc, data in entries:
                if arc.endswith(".py"):
                    (Path(tmp) / arc).parent.mkdir(parents=True, exist_ok=True)
                    (Path(tmp) / arc).write_bytes(data)
            proc = subprocess.run([node, str(script), str(pyodide_dir.resolve()), tmp], capture_output=True, text=True)
            if proc.returncode != 0:
                raise BuildError(f"precompiling the browser wheel failed: {proc.stderr.strip()[-400:]}")
            staging = Path(tmp + ".pyc")
            shutil.rmtree(staging, ignore_errors=True)
            for pyc in Path(tmp).rglob("*.pyc"):
                (staging / pyc.relative_to(tmp)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(pyc, staging / pyc.relative_to(tmp))
            done.parent.mkdir(parents=True, exist_ok=True)
            staging.replace(done)
    return sorted((p.relative_to(done).as_posix(), p.read_bytes()) for p in done.rglob("*.pyc"))


def build_browser_wheel(src_root: Path, out_dir: Path, pyodide_dir: Path | None = None) -> Path:
    """Write ``cxkit-<version>-py3-none-any.whl`` of the browser subpackages.

    The wheel lands in ``out_dir/<content hash>/`` so its URL changes with its content.
    Zip entries carry a fixed date, so the same sources give the same bytes. With
    ``pyodide_dir`` (the npm package) the wheel also carries Pyodide bytecode.
    """
    version = cxkit.__version__
    dist_info = f"cxkit-{version}.dist-info"
    entries: list[tuple[str, bytes]] = [(arc, p.read_bytes()) for arc, p in _browser_sources(src_root)]
    if pyodide_dir is not None:
        entries += _precompiled(entries, pyodide_dir, src_root.parent / ".cache" / "pyc")
    entries.append((f"{dist_info}/METADATA", f"Metadata-Version: 2.1\nName: cxkit\nVersion: {version}\n".encode()))
    entries.append(
        (f"{dist_info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: cxkit.bundle\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    )
    record = "".join(f"{arc},,\n" for arc, _ in entries) + f"{dist_info}/RECORD,,\n"
    entries.append((f"{dist_info}/RECORD", record.encode()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for arc, data in entries:
            info = zipfile.ZipInfo(arc, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    data = buf.getvalue()
    digest = hashlib.sha256(data).hexdigest()[:16]
    dst = out_dir / digest / f"cxkit-{version}-py3-none-any.whl"
    _write_if_changed(dst, data)
    return dst


def _pyodide_http_wheel(root: Path, out_dir: Path) -> Path:
    name, version, sha = PYODIDE_HTTP
    fname = f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    cache = root / ".cache" / "wheels"
    cached = cache / fname
    if not cached.exists():
        cache.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
               "-d", str(cache), f"{name}=={version}"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0 or not cached.exists():
            raise BuildError(f"could not download {name}=={version} from PyPI: {proc.stderr.strip()[-400:]}")
    if hashlib.sha256(cached.read_bytes()).hexdigest() != sha:
        cached.unlink()
        raise BuildError(f"{fname}: sha256 mismatch with the pinned hash; deleted, run the build again")
    dst = out_dir / sha[:16] / fname
    _copy_if_changed(cached, dst)
    return dst


def _compress(path: Path) -> None:
    data = None
    for suffix, encode in ((".gz", lambda b: gzip.compress(b, 9, mtime=0)), (".br", _brotli)):
        twin = path.with_name(path.name + suffix)
        if twin.exists() and twin.stat().st_mtime >= path.stat().st_mtime:
            continue
        if encode is None:
            continue
        data = path.read_bytes() if data is None else data
        _write_if_changed(twin, encode(data))


def _brotli_encoder():
    try:
        import brotli
    except ImportError:  # optional: .gz twins are enough
        return None
    return lambda b: brotli.compress(b, quality=9)


_brotli = _brotli_encoder()


#: The loader, its modules and the page templates, inside the package (relative to a checkout).
WEB = Path("pysrc", "cxkit", "web")

#: Pages and static files only the test suites use (``e2e*``): left out with ``test_pages=False``.
TEST_PREFIX = "e2e"


def _drop(path: Path) -> None:
    for stale in (path, path.with_name(path.name + ".gz"), path.with_name(path.name + ".br")):
        stale.unlink(missing_ok=True)


def _render_pages(root: Path, out: Path, manifest: dict[str, Any], test_pages: bool) -> list[str]:
    import jinja2

    tpl_dir = root / WEB / "templates"
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
        _write_if_changed(out / tpl.name, html.encode())
        pages.append(tpl.name)
    return pages


def _copy_web_static(root: Path, out: Path, test_pages: bool) -> None:
    static = root / WEB / "static"
    if static.is_dir():
        for path in static.rglob("*"):
            if not path.is_file():
                continue
            if not test_pages and path.name.startswith(TEST_PREFIX):
                _drop(out / "static" / path.relative_to(static))
            else:
                _copy_if_changed(path, out / "static" / path.relative_to(static))


#: The loader's modules (``web/*.mjs``): the worker link, the DOM adapters and the worker script.
MODULES = {"link": "link.mjs", "worker": "worker.mjs"}


def _copy_modules(web: Path, out: Path) -> dict[str, str]:
    """Copy ``web/*.mjs`` under a digest of their bytes (so their URLs can be cached forever);
    returns the manifest entries (``link``, ``worker``)."""
    sources = sorted(web.glob("*.mjs"))
    digest = hashlib.sha256(b"".join(p.name.encode() + b"\0" + p.read_bytes() for p in sources)).hexdigest()[:16]
    for path in sources:
        _copy_if_changed(path, out / digest / path.name)
    if out.is_dir():
        for stale in out.iterdir():
            if stale.name != digest:
                shutil.rmtree(stale)
    return {key: f"modules/{digest}/{name}" for key, name in MODULES.items()}


def _npm_version(pkg_dir: Path) -> str:
    return json.loads((pkg_dir / "package.json").read_text())["version"]


def build_bundle(root: Path | None = None, out: Path | None = None, *, test_pages: bool = True) -> dict[str, Any]:
    """Build (or refresh) the static bundle and return its manifest.

    ``test_pages=False`` leaves out the pages only test suites use (``e2e*.html``; one of them
    can run Python sent by the page), for a bundle that goes on a real site.

    Raises :class:`BuildError` naming what is missing (e.g. ``npm ci`` not run).
    """
    root = root or project_root()
    out = out or root / "build"
    modules = root / "node_modules"
    pyodide_dir = modules / "pyodide"
    pyscript_dir = modules / "@pyscript" / "core" / "dist"
    if not pyodide_dir.is_dir() or not pyscript_dir.is_dir():
        raise BuildError(f"runtime assets missing under {modules}: run `npm ci` in {root}")

    # Runtime files live under their version, so they can be cached forever.
    pyodide_rel = f"pyodide/{_npm_version(pyodide_dir)}"
    pyscript_rel = f"pyscript/{_npm_version(pyscript_dir.parent)}"
    for name in PYODIDE_FILES:
        src = pyodide_dir / name
        if not src.is_file():
            raise BuildError(f"{src} is missing: run `npm ci` in {root}")
        _copy_if_changed(src, out / pyodide_rel / name)
    for src in pyscript_dir.iterdir():
        if src.is_file() and not src.name.endswith(".map"):
            _copy_if_changed(src, out / pyscript_rel / src.name)
    for runtime in ("pyodide", "pyscript"):
        current = {pyodide_rel, pyscript_rel}
        for stale in (out / runtime).iterdir():
            if stale.is_dir() and f"{runtime}/{stale.name}" not in current:
                shutil.rmtree(stale)

    wheels_dir = out / "wheels"
    cxkit_whl = build_browser_wheel(root / "pysrc", wheels_dir, pyodide_dir)
    http_whl = _pyodide_http_wheel(root, wheels_dir)
    keep = {cxkit_whl.parent, http_whl.parent}
    for stale in wheels_dir.iterdir():
        if stale.is_dir() and stale not in keep:
            shutil.rmtree(stale)

    manifest: dict[str, Any] = {
        "version": cxkit.__version__,
        "pyodide": f"{pyodide_rel}/pyodide.mjs",
        "pyscript": f"{pyscript_rel}/core.js",
        "wheels": [p.relative_to(out).as_posix() for p in (cxkit_whl, http_whl)],
        "sources": browser_sources_digest(root / "pysrc"),
        **_copy_modules(root / WEB, out / "modules"),
        "testPages": test_pages,
    }
    loader = (root / WEB / "widgets.js").read_text()
    loader = loader.replace("/*@MANIFEST@*/{}", json.dumps(manifest, separators=(",", ":")))
    _write_if_changed(out / "widgets.js", loader.encode())
    _copy_web_static(root, out, test_pages)
    manifest["pages"] = _render_pages(root, out, manifest, test_pages)
    _write_if_changed(out / "manifest.json", json.dumps(manifest, indent=1).encode())

    for path in out.rglob("*"):
        if path.is_file() and path.suffix in COMPRESS_SUFFIXES and path.stat().st_size >= COMPRESS_MIN_BYTES:
            _compress(path)
    return manifest
