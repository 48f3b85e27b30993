"""The wheel of cxkit's browser part (no server code) that the Web Worker unpacks into Pyodide.

    >>> from pathlib import Path
    >>> import tempfile, cxkit
    >>> src = Path(cxkit.__file__).resolve().parents[1]       # the folder that holds cxkit/
    >>> wheel = build_browser_wheel(src, Path(tempfile.mkdtemp()))
    >>> wheel.name, len(wheel.parent.name)
    ('cxkit-0.1.0-py3-none-any.whl', 16)

Zip entries carry a fixed date, so the same sources give the same bytes, and the wheel lands
in a folder named after its content, so its URL can be cached forever. With Pyodide at hand
(and Node.js to run it) the wheel also carries Pyodide's bytecode for every module.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import cxkit

from .build_error import BuildError
from .filecopy import write_if_changed

__all__ = ["BROWSER_PACKAGES", "PRECOMPILE_SCRIPT", "browser_sources_digest", "build_browser_wheel"]

#: Subpackages of cxkit that run in the browser; everything else (mock server, CLI,
#: pytest plugin, the build) stays out of the browser wheel.
BROWSER_PACKAGES = ("common", "bus", "gms", "webchat", "browser", "ui")
#: Compiles a folder of sources with Pyodide under Node (``node precompile.mjs <pyodide> <dir>``).
PRECOMPILE_SCRIPT = Path(__file__).resolve().parent / "web" / "tools" / "precompile.mjs"


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


def _precompiled(entries: list[tuple[str, bytes]], pyodide_dir: Path, cache: Path,
                 required: bool) -> list[tuple[str, bytes]]:
    """Pyodide bytecode for ``entries`` (``__pycache__/*.cpython-314.pyc``), compiled once per
    set of sources by Pyodide itself under Node: the browser then skips compiling our modules
    at boot (~80 ms here). Without Node or Pyodide: empty with a note, or BuildError if ``required``."""
    digest = hashlib.sha256(b"".join(arc.encode() + b"\0" + data for arc, data in entries)).hexdigest()[:16]
    done = cache / digest
    if not done.is_dir():
        node = shutil.which("node")
        if node is None or not (pyodide_dir / "pyodide.mjs").is_file() or not PRECOMPILE_SCRIPT.is_file():
            missing = "Node.js is not on PATH" if node is None else f"no Pyodide in {pyodide_dir}"
            if required:
                raise BuildError(f"cannot compile the browser wheel's bytecode: {missing}")
            print(f"cxkit build: {missing}; the browser wheel ships without bytecode", file=sys.stderr)
            return []
        with tempfile.TemporaryDirectory() as tmp:
            for arc, data in entries:
                if arc.endswith(".py"):
                    (Path(tmp) / arc).parent.mkdir(parents=True, exist_ok=True)
                    (Path(tmp) / arc).write_bytes(data)
            proc = subprocess.run([node, str(PRECOMPILE_SCRIPT), str(pyodide_dir.resolve()), tmp],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                raise BuildError(f"precompiling the browser wheel failed: {proc.stderr.strip()[-400:]}")
            staging = Path(tmp + ".pyc")
            shutil.rmtree(staging, ignore_errors=True)
            for pyc in Path(tmp).rglob("*.pyc"):
                (staging / pyc.relative_to(tmp)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(pyc, staging / pyc.relative_to(tmp))
            done.parent.mkdir(parents=True, exist_ok=True)
            try:
                staging.replace(done)
            except OSError:  # another build compiled the same sources first: use theirs
                shutil.rmtree(staging, ignore_errors=True)
    return sorted((p.relative_to(done).as_posix(), p.read_bytes()) for p in done.rglob("*.pyc"))


def build_browser_wheel(src_root: Path, out_dir: Path, pyodide_dir: Path | None = None, *,
                        pyc_cache: Path | None = None, bytecode_required: bool = False) -> Path:
    """Write ``out_dir/<content hash>/cxkit-<version>-py3-none-any.whl`` of the browser subpackages.

    With ``pyodide_dir`` (the npm package) the wheel also carries Pyodide bytecode, compiled
    once per set of sources into ``pyc_cache`` (default ``<src_root>/../.cache/pyc``).
    """
    version = cxkit.__version__
    dist_info = f"cxkit-{version}.dist-info"
    entries: list[tuple[str, bytes]] = [(arc, p.read_bytes()) for arc, p in _browser_sources(src_root)]
    if pyodide_dir is not None:
        cache = pyc_cache or src_root.parent / ".cache" / "pyc"
        entries += _precompiled(entries, pyodide_dir, cache, bytecode_required)
    entries.append((f"{dist_info}/METADATA", f"Metadata-Version: 2.1\nName: cxkit\nVersion: {version}\n".encode()))
    entries.append(
        (f"{dist_info}/WHEEL",
         b"Wheel-Version: 1.0\nGenerator: cxkit.browser_wheel\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
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
    write_if_changed(dst, data)
    return dst
