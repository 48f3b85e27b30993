"""The release build packs the runtime into the package; an installed cxkit builds bundles from it
with no Node and no checkout."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

import cxkit
import cxkit.assets as assets
from cxkit.assets import PYODIDE_FILES, BuildError, locate_assets, packaged_runtime
from cxkit.bundle import build_bundle, project_root
from cxkit.prebuild import NEEDS_NODE, prebuild_runtime


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return prebuild_runtime(project_root(), tmp_path_factory.mktemp("package") / "runtime")


def test_the_runtime_holds_pyodide_pyscript_the_browser_wheel_and_their_licences(runtime: Path):
    info = json.loads((runtime / "runtime.json").read_text())
    pins = json.loads((project_root() / "package.json").read_text())["dependencies"]
    assert (info["pyodide"], info["pyscript"]) == (pins["pyodide"], pins["@pyscript/core"])
    assert sorted(p.name for p in (runtime / "pyodide").iterdir()) == sorted(PYODIDE_FILES)
    assert (runtime / "pyscript" / "core.js").is_file() and not list(runtime.rglob("*.map"))
    assert "Mozilla Public License Version 2.0" in (runtime / "licenses" / "Pyodide-LICENSE.txt").read_text()
    assert "Apache License" in (runtime / "licenses" / "PyScript-LICENSE.txt").read_text()
    assert "PYTHON SOFTWARE FOUNDATION LICENSE" in (runtime / "licenses" / "Python-LICENSE.txt").read_text()
    with zipfile.ZipFile(runtime / info["wheel"]) as wheel:
        names = wheel.namelist()
    assert "cxkit/bus/bus.py" in names and "cxkit/bus/__pycache__/bus.cpython-314.pyc" in names
    assert not [n for n in names if n.startswith(("cxkit/mockgms", "pyodide_http"))]
    assert sum(f.stat().st_size for f in runtime.rglob("*") if f.is_file()) < 20_000_000


def test_a_second_prebuild_drops_what_is_no_longer_part_of_it(runtime: Path):
    (runtime / "pyscript" / "core.js.map").write_text("{}")
    (runtime / "wheel" / "cxkit-0.0.1-py3-none-any.whl").write_bytes(b"old")
    prebuild_runtime(project_root(), runtime)
    assert not (runtime / "pyscript" / "core.js.map").exists()
    assert [p.name for p in (runtime / "wheel").iterdir()] == [f"cxkit-{cxkit.__version__}-py3-none-any.whl"]


def test_an_installed_cxkit_builds_its_bundle_with_no_node_and_no_checkout(
        runtime: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    package = runtime.parent
    shutil.copytree(project_root() / "pysrc" / "cxkit" / "web", package / "web", dirs_exist_ok=True)
    monkeypatch.setattr(assets, "PACKAGE_DIR", package)
    monkeypatch.setattr(assets, "find_checkout", lambda: None)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))   # no node, no npm
    assert locate_assets().checkout is None

    manifest = build_bundle(out=tmp_path / "site")
    out = tmp_path / "site"
    info = json.loads((runtime / "runtime.json").read_text())
    assert manifest["pyodide"] == f"pyodide/{info['pyodide']}/pyodide.mjs" and manifest["sources"] == info["sources"]
    assert (out / manifest["wheels"][0]).read_bytes() == (runtime / info["wheel"]).read_bytes()
    assert "index.html" in manifest["pages"] and not list(out.glob("e2e*"))
    assert build_bundle(out=tmp_path / "tests", test_pages=True)["pages"].count("e2e.html") == 1


def test_an_install_without_its_runtime_says_to_reinstall(tmp_path: Path):
    with pytest.raises(BuildError, match="no packaged runtime .*pip install --force-reinstall cxkit"):
        packaged_runtime(tmp_path)


def test_building_from_source_without_node_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    sdist = tmp_path / "cxkit-0.1.0"      # an unpacked sdist: sources and npm pins, no node_modules
    shutil.copytree(project_root() / "pysrc", sdist / "pysrc", ignore=shutil.ignore_patterns("__pycache__", "runtime"))
    shutil.copy(project_root() / "package.json", sdist)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(BuildError) as refused:
        prebuild_runtime(sdist)
    assert str(refused.value).startswith(NEEDS_NODE) and "npm is not on PATH" in str(refused.value)
    assert not (sdist / "pysrc" / "cxkit" / "runtime").exists()
