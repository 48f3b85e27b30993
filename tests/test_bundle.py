"""The static bundle: contents, browser wheel, compression, rebuild speed."""

from __future__ import annotations

import gzip
import json
import re
import zipfile
from pathlib import Path

import pytest

import cxkit
from cxkit.bundle import BROWSER_PACKAGES, BuildError, build_browser_wheel, build_bundle, compress_twins, project_root


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("bundle")
    return out, build_bundle(project_root(), out, test_pages=True)


def test_bundle_holds_runtime_loader_wheels_and_pages(bundle):
    out, manifest = bundle
    assert (out / manifest["pyodide"]).is_file()
    assert (out / manifest["pyodide"]).with_name("pyodide.asm.wasm").is_file()
    assert (out / manifest["pyscript"]).is_file()
    assert not list((out / "pyscript").rglob("*.map")), "source maps must stay out"
    names = [Path(w).name for w in manifest["wheels"]]
    assert names == [f"cxkit-{cxkit.__version__}-py3-none-any.whl"]   # the worker loads only cxkit's
    assert "e2e.html" in manifest["pages"]
    assert json.loads((out / "manifest.json").read_text())["wheels"] == manifest["wheels"]


def test_the_main_thread_boot_data_names_files_of_the_bundle(bundle):
    """widgets.js boots PyScript from ``manifest["main"]``: the wheels go where the bundled
    Pyodide's Python looks, the files to fetch at once are there (not the .wasm, whose preloaded
    response would skip V8's code cache), and PyScript's error banners are off."""
    out, manifest = bundle
    main = manifest["main"]
    lock = json.loads((out / manifest["pyodide"]).with_name("pyodide-lock.json").read_text())
    assert main["sitePackages"] == "/lib/python{}.{}/site-packages/*".format(*lock["info"]["python"].split(".")[:2])
    assert all((out / path).is_file() for path in main["preload"])
    assert manifest["pyodide"] in main["preload"] and manifest["wheels"][0] in main["preload"]
    assert not any(path.endswith(".wasm") for path in main["preload"])
    assert "!error" in main["plugins"] and all(p.startswith("!") for p in main["plugins"])


def test_the_pyodide_files_a_failed_boot_asks_for_are_in_the_bundle(bundle):
    """A failed boot names the Pyodide files that answer an HTTP error, by asking for each again
    (widgets.js, for both threads): a name Pyodide does not ship would be named in every failure."""
    out, manifest = bundle
    runtime = (out / manifest["pyodide"]).parent
    [names] = re.findall(r'PYODIDE_FILES = (\[[^\]]*\])', (out / "widgets.js").read_text())
    names = json.loads(names)
    assert "python_stdlib.zip" in names and all((runtime / name).is_file() for name in names), names


def test_loader_carries_the_manifest(bundle):
    out, manifest = bundle
    loader = (out / "widgets.js").read_text()
    assert "/*@MANIFEST@*/" not in loader
    assert json.dumps(manifest["wheels"][0]) in loader


def test_browser_wheel_has_no_server_code(bundle):
    out, manifest = bundle
    with zipfile.ZipFile(out / manifest["wheels"][0]) as whl:
        names = whl.namelist()
    top = {n.split("/")[1] for n in names if n.startswith("cxkit/") and n.count("/") > 1}
    assert top <= set(BROWSER_PACKAGES) | {"__pycache__"}
    assert not any(n.startswith(("cxkit/mockgms", "cxkit/cli", "cxkit/server", "cxkit/bundle")) for n in names)
    assert "cxkit/__init__.py" in names and any(n.endswith(".dist-info/RECORD") for n in names)


def test_wheel_is_reproducible_and_content_addressed(tmp_path):
    src = project_root() / "pysrc"
    a = build_browser_wheel(src, tmp_path / "a")
    b = build_browser_wheel(src, tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()
    assert a.parent.name == b.parent.name and len(a.parent.name) == 16


def test_big_assets_get_compressed_twins(bundle):
    out, manifest = bundle
    wasm = (out / manifest["pyodide"]).with_name("pyodide.asm.wasm")
    for suffix in (".gz", ".br"):
        twin = wasm.with_name(wasm.name + suffix)
        assert twin.is_file() and twin.stat().st_size < wasm.stat().st_size


def test_twins_are_compressed_at_the_levels_serving_md_names(tmp_path):
    """docs/serving.md: gzip at level 9, brotli at quality 9, once at build time."""
    import brotli

    asset = tmp_path / "asset.js"
    asset.write_bytes(b"const cxkit = 'twins';\n" * 2000)
    compress_twins(asset)
    data = asset.read_bytes()
    assert (tmp_path / "asset.js.gz").read_bytes() == gzip.compress(data, 9, mtime=0)
    assert (tmp_path / "asset.js.br").read_bytes() == brotli.compress(data, quality=9)


def test_only_the_bundles_own_files_get_twins(tmp_path):
    """``out`` may hold other things: in a checkout, ``build/`` is also setuptools' staging
    folder, and twins written there ended up in a wheel built from the checkout (21 MB, not 7.5)."""
    out = tmp_path / "build"
    foreign = out / "lib" / "cxkit" / "runtime" / "big.js"
    foreign.parent.mkdir(parents=True)
    foreign.write_text("x" * 20_000)
    manifest = build_bundle(project_root(), out)
    assert not list(foreign.parent.glob("big.js.*"))
    assert (out / "widgets.js.gz").is_file() and (out / manifest["link"]).with_suffix(".mjs.gz").is_file()
    for page in manifest["pages"]:
        if (out / page).stat().st_size >= 8 * 1024:
            assert (out / (page + ".gz")).is_file(), page


def test_a_wheel_built_in_a_checkout_stages_outside_the_bundle_folder():
    """setuptools stages a wheel in ``build/`` unless told otherwise: there `cxkit serve` served
    its ``lib/`` copy of the sources, and stale files left there went into the next wheel."""
    from setuptools.dist import Distribution

    root = project_root()
    dist = Distribution()
    dist.parse_config_files([str(root / "setup.cfg")])
    for command, option in (("build", "build_base"), ("build", "build_lib"), ("bdist", "bdist_base")):
        cmd = dist.get_command_obj(command)
        cmd.ensure_finalized()
        staged = (root / getattr(cmd, option)).resolve()
        assert not staged.is_relative_to(root / "build"), (command, option, staged)


def test_second_build_changes_nothing(bundle):
    out, _ = bundle
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    build_bundle(project_root(), out, test_pages=True)
    after = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    assert after == before


def test_a_rebuild_keeps_replaced_versioned_folders_for_a_day(bundle):
    """A visitor's cached widgets.js (5 min, then stale for up to a day) names the previous
    build's modules and wheel: a rebuild in place keeps them that long, then removes them."""
    import os
    import time

    from cxkit.bundle import KEEP_REPLACED_S

    out, manifest = bundle
    current = (out / manifest["link"]).parent
    recent, old = out / "modules" / "previousbuild0001", out / "modules" / "olderbuild000001"
    for folder, age in ((recent, 60), (old, KEEP_REPLACED_S + 60)):
        folder.mkdir()
        (folder / "link.mjs").write_text("// a previous build")
        then = time.time() - age
        os.utime(folder, (then, then))
    long_ago = time.time() - 2 * KEEP_REPLACED_S
    os.utime(current, (long_ago, long_ago))           # in use: kept however old, and marked now
    build_bundle(project_root(), out, test_pages=True)
    assert sorted(p.name for p in (out / "modules").iterdir()) == sorted([current.name, recent.name])
    assert time.time() - current.stat().st_mtime < KEEP_REPLACED_S


def test_missing_runtime_assets_say_what_to_run(tmp_path):
    (tmp_path / "pysrc" / "cxkit" / "web").mkdir(parents=True)
    (tmp_path / "pysrc" / "cxkit" / "web" / "widgets.js").write_text("")
    with pytest.raises(BuildError, match="npm ci"):
        build_bundle(tmp_path, tmp_path / "out")


def test_project_root_is_the_checkout_and_never_a_web_project(monkeypatch, tmp_path):
    import cxkit.bundle as bundle

    assert project_root() == Path(__file__).resolve().parents[1]
    monkeypatch.setattr(bundle, "find_checkout", lambda: None)   # e.g. installed in a web project's venv
    with pytest.raises(BuildError, match="installed"):
        project_root()


def test_browser_wheel_carries_pyodide_bytecode_for_every_module(bundle):
    out, manifest = bundle
    with zipfile.ZipFile(out / manifest["wheels"][0]) as whl:
        names = set(whl.namelist())
        sources = [n for n in names if n.endswith(".py")]
        for source in sources:
            folder, _, module = source.rpartition("/")
            pyc = f"{folder}/__pycache__/{module[:-3]}.cpython-314.pyc"
            assert pyc in names, f"{source} has no bytecode"
            header = whl.read(pyc)[:8]
            # flags word: bit 0 = hash-based, bit 1 = check_source (off: unchecked, no stat at import)
            assert int.from_bytes(header[4:8], "little") == 0b01


def test_a_site_bundle_leaves_the_test_pages_out(tmp_path):
    out = tmp_path / "site"
    build_bundle(project_root(), out, test_pages=True)
    assert (out / "e2e_python.html").is_file()
    manifest = build_bundle(project_root(), out)              # the default: no test pages
    assert "index.html" in manifest["pages"]
    assert not [p for p in manifest["pages"] if p.startswith("e2e")]
    leftovers = [p.name for p in out.rglob("e2e*")]
    assert leftovers == [], leftovers
    assert (out / "widgets.js").is_file() and (out / "index.html").is_file()


def test_concurrent_builds_share_the_checkout_s_wheel_cache(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    src = project_root() / "pysrc"
    with ThreadPoolExecutor(4) as pool:
        wheels = list(pool.map(lambda _: build_browser_wheel(src, tmp_path / "cache"), range(8)))
    assert len({w.read_bytes() for w in wheels}) == 1
    assert [p.name for p in wheels[0].parent.iterdir()] == [wheels[0].name]   # no temporary files left


def test_nothing_of_ours_ships_or_names_pyodide_http(bundle):
    """pyodide-http was dropped (nothing imported it): no wheel, page, loader module or doc of
    ours brings it back. Pyodide's and PyScript's own files list every Pyodide package; skipped."""
    out, _ = bundle
    ours = [p for p in out.rglob("*") if p.is_file() and p.relative_to(out).parts[0] not in ("pyodide", "pyscript")
            and p.suffix not in (".br", ".gz")]
    root = project_root()
    ours += [root / "README.md", root / "pyproject.toml", *sorted((root / "docs").glob("*.md"))]
    assert len(ours) > 10
    for path in ours:
        if path.suffix == ".whl":
            with zipfile.ZipFile(path) as whl:
                assert not [n for n in whl.namelist() if "pyodide_http" in n], path
            continue
        text = path.read_bytes().lower()
        assert b"pyodide-http" not in text and b"pyodide_http" not in text, path


SERVING_DOC = Path(__file__).resolve().parents[1] / "docs" / "serving.md"
README = SERVING_DOC.parents[1] / "README.md"


def test_what_a_page_downloads_is_what_serving_md_says(bundle):
    """serving.md's table of what a page with the widget downloads (worker mode, first visit):
    plain, gzip and brotli totals and the wasm's share, within 10 % of this build's files."""
    out, manifest = bundle
    runtime = (out / manifest["pyodide"]).parent
    modules = (out / manifest["link"]).parent
    files = [out / "widgets.js", modules / "link.mjs", modules / "dom.mjs", modules / "worker.mjs",
             *(runtime / n for n in ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
                                     "pyodide-lock.json")), out / manifest["wheels"][0]]

    def served(path: Path, twin: str) -> int:  # the twin when there is one, as the servers send it
        compressed = path.with_name(path.name + twin) if twin else path
        return (compressed if compressed.is_file() else path).stat().st_size

    wasm = runtime / "pyodide.asm.wasm"
    measured = {twin: (sum(served(f, twin) for f in files) / 1e6, served(wasm, twin) / 1e6) for twin in ("", ".gz", ".br")}
    text = SERVING_DOC.read_text()
    rows = {"": r"plain files[^|]*\| ([\d.]+) MB \| `pyodide.asm.wasm` alone is ([\d.]+) MB",
            ".gz": r"gzip twins[^|]*\| ([\d.]+) MB \| wasm ([\d.]+) MB",
            ".br": r"brotli twins[^|]*\| ([\d.]+) MB \| wasm ([\d.]+) MB"}
    for twin, row in rows.items():
        total, wasm_mb = map(float, re.search(row, text).groups())
        got_total, got_wasm = measured[twin]
        assert abs(got_total - total) <= 0.1 * total and abs(got_wasm - wasm_mb) <= 0.1 * wasm_mb, (twin, measured)
    # the README repeats the plain and brotli totals
    readme = README.read_text()
    said = re.search(r"downloads: ([\d.]+) MB plain, ([\d.]+) MB\s+with brotli", readme)
    assert said, "the README's download figures are gone: drop this check or point it at the new sentence"
    for figure, twin in zip(map(float, said.groups()), ("", ".br"), strict=True):
        assert abs(measured[twin][0] - figure) <= 0.1 * figure, (twin, figure, measured)
    for name, path in (("python_stdlib.zip", runtime / "python_stdlib.zip"), ("the cxkit wheel", out / manifest["wheels"][0])):
        said = float(re.search(re.escape(name) + r"`? \(([\d.]+) MB\)", text).group(1))
        assert abs(path.stat().st_size / 1e6 - said) <= 0.1, (name, said, path.stat().st_size)
