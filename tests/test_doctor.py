"""`cxkit doctor`: each check against fakes (PATH lookups, subprocesses, a temp checkout, sockets)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from importlib import metadata
from pathlib import Path

import pytest

from cxkit import doctor
from cxkit.bundle import PYODIDE_FILES, browser_sources_digest, build_browser_wheel

PINS = {"pyodide": "314.0.7", "@pyscript/core": "0.7.31"}


def fake_run(outputs: dict[str, tuple[int, str]], calls: list | None = None):
    """A subprocess.run stand-in answering ``<exe> --version`` from ``outputs``."""

    def run(cmd, **kwargs):
        if calls is not None:
            calls.append(cmd)
        exe = cmd[0]
        if exe not in outputs:
            raise FileNotFoundError(2, "No such file or directory", exe)
        code, out = outputs[exe]
        return subprocess.CompletedProcess(cmd, code, stdout=out, stderr="")

    return run


def fake_which(found: dict[str, str]):
    return lambda name, *a, **k: found.get(name)


def make_checkout(root: Path, versions: dict[str, str] = PINS, pyodide_files=PYODIDE_FILES) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "package.json").write_text(json.dumps({"dependencies": PINS}))
    for package, version in versions.items():
        folder = root / "node_modules" / package
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "package.json").write_text(json.dumps({"name": package, "version": version}))
    for name in pyodide_files:
        (root / "node_modules" / "pyodide" / name).write_text("x")
    return root


def make_build(out: Path, wheels: list[str], pyodide="pyodide/314.0.7/pyodide.mjs",
               pyscript="pyscript/0.7.31/core.js", create=True) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    (out / "manifest.json").write_text(json.dumps(
        {"version": "0.1.0", "pyodide": pyodide, "pyscript": pyscript, "wheels": wheels, "pages": ["demo.html"]}))
    if create:
        for rel in (pyodide, pyscript, *wheels):
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            (out / rel).write_text("x")
    return out


# -- Python and packages -----------------------------------------------------------------------

def test_python_version():
    assert doctor.check_python((3, 11, 0)).ok
    old = doctor.check_python((3, 10, 12))
    assert not old.ok and "3.10.12" in old.detail and "3.11" in old.fix


def test_packages_missing_and_old():
    versions = {"starlette": "0.46.0", "uvicorn": "0.20.0"}

    def version_of(name):
        if name not in versions:
            raise metadata.PackageNotFoundError(name)
        return versions[name]

    result = doctor.check_packages([("starlette", (0, 40)), ("uvicorn", (0, 30)), ("playwright", (1, 45))],
                                   version_of)
    assert not result.ok
    assert "uvicorn 0.20.0 is older than 0.30" in result.detail
    assert "playwright is not installed" in result.detail
    assert "starlette" not in result.detail
    assert "pip install" in result.fix and "./dev setup" in result.fix


def test_packages_ok():
    result = doctor.check_packages([("httpx", (0, 27))], lambda name: "0.28.1")
    assert result.ok and "httpx 0.28.1" in result.detail


def test_requirements_come_from_cxkit_metadata(monkeypatch):
    monkeypatch.setattr(doctor.metadata, "requires", lambda name: [
        "starlette>=0.40", "httpx>=0.27", 'playwright>=1.45; extra == "test"', 'sphinx; extra == "docs"'])
    assert doctor._requirements() == [("starlette", (0, 40)), ("httpx", (0, 27)), ("playwright", (1, 45))]


def test_the_real_requirements_name_the_four_the_tools_need():
    names = {name for name, _ in doctor._requirements()}
    assert {"starlette", "uvicorn", "httpx", "playwright"} <= names


# -- Chromium --------------------------------------------------------------------------------

def test_chromium_on_path_runs(monkeypatch):
    monkeypatch.setattr(doctor.shutil, "which", fake_which({"chromium": "/usr/bin/chromium"}))
    calls: list = []
    monkeypatch.setattr(doctor.subprocess, "run", fake_run({"/usr/bin/chromium": (0, "Chromium 131.0\n")}, calls))
    result = doctor.check_chromium(env={})
    assert result.ok and "Chromium 131.0" in result.detail
    assert calls == [["/usr/bin/chromium", "--version"]]


def test_chromium_missing(monkeypatch):
    monkeypatch.setattr(doctor.shutil, "which", fake_which({}))
    result = doctor.check_chromium(env={})
    assert not result.ok and "apt-get install chromium" in result.fix and "CHROMIUM_PATH" in result.fix


def test_chromium_path_wins_over_path(monkeypatch, tmp_path):
    exe = tmp_path / "my-chrome"
    exe.write_text("")
    monkeypatch.setattr(doctor.shutil, "which", fake_which({"chromium": "/usr/bin/chromium"}))
    monkeypatch.setattr(doctor.subprocess, "run", fake_run({str(exe): (0, "Chromium 120")}))
    result = doctor.check_chromium(env={"CHROMIUM_PATH": str(exe)})
    assert result.ok and str(exe) in result.detail


def test_chromium_path_that_does_not_exist(monkeypatch, tmp_path):
    result = doctor.check_chromium(env={"CHROMIUM_PATH": str(tmp_path / "nope")})
    assert not result.ok and "does not exist" in result.detail and "CHROMIUM_PATH" in result.fix


def test_chromium_that_does_not_run(monkeypatch):
    monkeypatch.setattr(doctor.shutil, "which", fake_which({"chromium": "/usr/bin/chromium"}))
    monkeypatch.setattr(doctor.subprocess, "run", fake_run({"/usr/bin/chromium": (127, "error while loading shared libraries")}))
    result = doctor.check_chromium(env={})
    assert not result.ok and "shared libraries" in result.detail and "reinstall" in result.fix


def test_chromium_that_hangs(monkeypatch):
    monkeypatch.setattr(doctor.shutil, "which", fake_which({"chromium": "/usr/bin/chromium"}))

    def hang(cmd, **kwargs):
        raise subprocess.TimeoutExpired(cmd, kwargs.get("timeout"))

    monkeypatch.setattr(doctor.subprocess, "run", hang)
    result = doctor.check_chromium(env={})
    assert not result.ok and "TimeoutExpired" in result.detail


# -- Node / npm ------------------------------------------------------------------------------

@pytest.mark.parametrize("node_version, ok", [("v20.0.0", True), ("v22.3.1", True), ("v18.19.0", False)])
def test_node_version(monkeypatch, node_version, ok):
    monkeypatch.setattr(doctor.shutil, "which", fake_which({"node": "/n/node", "npm": "/n/npm"}))
    monkeypatch.setattr(doctor.subprocess, "run", fake_run({"/n/node": (0, node_version), "/n/npm": (0, "10.2.0")}))
    result = doctor.check_node()
    assert result.ok is ok
    if not ok:
        assert "older than 20" in result.detail and "nodejs" in result.fix


def test_node_missing(monkeypatch):
    monkeypatch.setattr(doctor.shutil, "which", fake_which({}))
    result = doctor.check_node()
    assert not result.ok and "apt-get install nodejs npm" in result.fix


def test_npm_missing(monkeypatch):
    monkeypatch.setattr(doctor.shutil, "which", fake_which({"node": "/n/node"}))
    monkeypatch.setattr(doctor.subprocess, "run", fake_run({"/n/node": (0, "v20.11.1")}))
    result = doctor.check_node()
    assert not result.ok and "npm is not on PATH" in result.detail and "apt-get install npm" in result.fix


# -- node_modules ----------------------------------------------------------------------------

def test_runtime_assets_ok(tmp_path):
    result = doctor.check_runtime_assets(make_checkout(tmp_path))
    assert result.ok and "pyodide 314.0.7" in result.detail


def test_runtime_assets_not_installed(tmp_path):
    root = make_checkout(tmp_path, versions={}, pyodide_files=())
    result = doctor.check_runtime_assets(root)
    assert not result.ok and "pyodide is not installed" in result.detail
    assert result.fix == f"run `npm ci` in {root}"


def test_runtime_assets_wrong_version(tmp_path):
    root = make_checkout(tmp_path, versions={**PINS, "@pyscript/core": "0.6.0"})
    result = doctor.check_runtime_assets(root)
    assert not result.ok and "@pyscript/core is 0.6.0, package.json pins 0.7.31" in result.detail
    assert "npm ci" in result.fix


def test_runtime_assets_missing_wasm(tmp_path):
    root = make_checkout(tmp_path, pyodide_files=[f for f in PYODIDE_FILES if not f.endswith(".wasm")])
    result = doctor.check_runtime_assets(root)
    assert not result.ok and "pyodide.asm.wasm" in result.detail


def test_runtime_assets_without_checkout():
    result = doctor.check_runtime_assets(None)
    assert not result.ok and "CXKIT_ROOT" in result.fix


# -- build -----------------------------------------------------------------------------------

def test_build_never_built(tmp_path):
    result = doctor.check_build(make_checkout(tmp_path))
    assert not result.ok and "never built" in result.detail and "cxkit build" in result.fix


def test_build_missing_wheel_file(tmp_path):
    root = make_checkout(tmp_path)
    make_build(root / "build", ["wheels/abc/cxkit-0.1.0-py3-none-any.whl"], create=False)
    result = doctor.check_build(root)
    assert not result.ok and "wheels/abc/cxkit-0.1.0-py3-none-any.whl" in result.detail


def test_build_with_other_pyodide(tmp_path):
    root = make_checkout(tmp_path)
    make_build(root / "build", [], pyodide="pyodide/0.27.0/pyodide.mjs")
    result = doctor.check_build(root)
    assert not result.ok and "stale build" in result.detail


def test_build_fresh_and_stale_wheel(tmp_path):
    root = make_checkout(tmp_path / "co")
    pkg = root / "pysrc" / "cxkit"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("__version__ = '0.1.0'\n")
    wheel = build_browser_wheel(root / "pysrc", root / "build" / "wheels")
    rel = wheel.relative_to(root / "build").as_posix()
    make_build(root / "build", [rel], create=False)
    manifest = json.loads((root / "build" / "manifest.json").read_text())
    manifest["sources"] = browser_sources_digest(root / "pysrc")
    (root / "build" / "manifest.json").write_text(json.dumps(manifest))
    for name in ("pyodide/314.0.7/pyodide.mjs", "pyscript/0.7.31/core.js"):
        (root / "build" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "build" / name).write_text("x")
    assert doctor.check_build(root).ok, doctor.check_build(root).detail

    (pkg / "__init__.py").write_text("__version__ = '0.1.0'\nCHANGED = 1\n")
    result = doctor.check_build(root)
    assert not result.ok and "older than the sources" in result.detail and "cxkit build" in result.fix


def test_build_dir_option(tmp_path):
    out = make_build(tmp_path / "elsewhere", ["wheels/x/cxkit-0.1.0-py3-none-any.whl"])
    assert doctor.check_build(None, out).ok
    result = doctor.check_build(None, tmp_path / "empty")
    assert not result.ok and result.fix == f"run `cxkit build --out {tmp_path / 'empty'}`"  # no ./dev: not a checkout


# -- ports -----------------------------------------------------------------------------------

def test_ports_free_and_busy():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            free = probe.getsockname()[1]
        assert doctor.check_ports([free]).ok
        result = doctor.check_ports([free, port])
        assert not result.ok and str(port) in result.detail and str(free) not in result.detail
        assert "--port" in result.fix


# -- main ------------------------------------------------------------------------------------

def _all(ok: bool):
    return lambda *a, **k: doctor.Result("x", ok, "detail", "do this")


def test_main_exit_codes(monkeypatch, capsys, tmp_path):
    for name in ("check_python", "check_packages", "check_node", "check_chromium"):
        monkeypatch.setattr(doctor, name, _all(True))
    monkeypatch.setattr(doctor, "check_runtime_assets", _all(True))
    monkeypatch.setattr(doctor, "check_build", _all(True))
    monkeypatch.setattr(doctor, "check_ports", _all(True))
    assert doctor.main(["--root", str(tmp_path)]) == 0
    assert "All good." in capsys.readouterr().out

    monkeypatch.setattr(doctor, "check_ports", _all(False))
    assert doctor.main(["--root", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "fix: do this" in out and "1 problem." in out


def test_a_check_that_raises_is_reported_not_fatal(monkeypatch, capsys, tmp_path):
    def boom():
        raise RuntimeError("kaput")

    monkeypatch.setattr(doctor, "check_python", boom)
    monkeypatch.setattr(doctor, "check_chromium", _all(True))
    monkeypatch.setattr(doctor, "check_ports", _all(True))
    results = doctor.run_checks(make_checkout(tmp_path))
    assert any("kaput" in r.detail and not r.ok for r in results)
    assert len(results) == 7


def test_add_parser_plugs_into_a_cli(monkeypatch, tmp_path):
    import argparse

    monkeypatch.setattr(doctor, "run_checks", lambda root, build_dir, ports: [doctor.Result("x", True, str(ports))])
    parser = argparse.ArgumentParser(prog="cxkit")
    doctor.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["doctor", "--root", str(tmp_path), "--ports", "9000,9001"])
    assert args.func(args) == 0


# -- installed (pip install cxkit) or a checkout ---------------------------------------------------

def make_source_tree(root: Path, project: str = "cxkit") -> Path:
    (root / "pysrc" / "cxkit" / "web").mkdir(parents=True)
    (root / "pysrc" / "cxkit" / "web" / "widgets.js").write_text("")
    (root / "pyproject.toml").write_text(f'[project]\nname = "{project}"\nversion = "0.1.0"\n')
    return root / "pysrc" / "cxkit"


def make_web_project_with_a_venv(root: Path) -> Path:
    """A user's web project that ships its own web/widgets.js and package.json, its venv inside."""
    (root / "web").mkdir(parents=True)
    (root / "web" / "widgets.js").write_text("/* copied from a cxkit bundle */")
    (root / "package.json").write_text(json.dumps({"dependencies": {"pyodide": "0.1"}}))
    site = root / ".venv" / "lib" / "python3.12" / "site-packages"
    (site / "cxkit").mkdir(parents=True)
    return site


def test_a_checkout_is_the_source_tree_cxkit_runs_from(tmp_path):
    package = make_source_tree(tmp_path / "cxkit")
    assert doctor.find_checkout(env={}, package_dir=package) == tmp_path / "cxkit"
    other = make_source_tree(tmp_path / "fork", project="not-cxkit")
    assert doctor.find_checkout(env={}, package_dir=other) is None


def test_an_installed_cxkit_is_not_a_checkout_even_inside_a_web_project(tmp_path):
    site = make_web_project_with_a_venv(tmp_path / "shop")
    assert doctor.find_checkout(env={}, package_dir=site / "cxkit") is None
    assert doctor.find_checkout(env={"CXKIT_ROOT": str(tmp_path)}, package_dir=site / "cxkit") == tmp_path
    assert doctor.find_checkout(str(tmp_path / "x"), env={}, package_dir=site / "cxkit") == tmp_path / "x"
    assert doctor.find_checkout(env={}) == Path(__file__).resolve().parents[1]   # this checkout


def test_installed_checks_only_what_that_user_needs(monkeypatch):
    monkeypatch.setattr(doctor, "check_node", _all(False))
    monkeypatch.setattr(doctor, "check_runtime_assets", _all(False))
    monkeypatch.setattr(doctor, "check_chromium", lambda **kw: doctor.Result("Chromium", kw == {"installed": True}, ""))
    monkeypatch.setattr(doctor, "check_ports", lambda ports: doctor.Result("ports", True, str(ports)))
    results = doctor.run_checks(None, ports=[9])
    assert [r.name for r in results] == ["Python", "Python packages", "bundle", "Chromium", "ports"]
    assert results[3].ok


def test_installed_package_fixes_are_pip_commands_for_this_python():
    def version_of(name):
        if name == "uvicorn":
            return "0.20"
        raise metadata.PackageNotFoundError(name)

    result = doctor.check_packages([("uvicorn", (0, 30)), ("jinja2", (3, 1)), ("pyyaml", ())], version_of,
                                   installed=True)
    assert not result.ok
    assert result.fix == f"{doctor.sys.executable} -m pip install --upgrade 'uvicorn>=0.30' 'jinja2>=3.1' 'pyyaml'"
    assert "./dev" not in doctor.check_python((3, 10, 1), installed=True).fix


def test_installed_requirements_leave_out_the_test_extra(monkeypatch):
    monkeypatch.setattr(doctor.metadata, "requires", lambda name: [
        "starlette>=0.40", 'pytest-xdist>=3; extra == "test"'])
    assert doctor._requirements(with_test=False) == [("starlette", (0, 40))]


def test_installed_chromium_may_be_playwright_s_own(monkeypatch, tmp_path):
    monkeypatch.setattr(doctor.shutil, "which", fake_which({}))
    env = {"PLAYWRIGHT_BROWSERS_PATH": str(tmp_path), "HOME": str(tmp_path)}
    missing = doctor.check_chromium(env=env, installed=True)
    assert not missing.ok and f"{doctor.sys.executable} -m playwright install chromium" in missing.fix
    assert "apt-get install chromium" in missing.fix
    (tmp_path / "chromium_headless_shell-1200").mkdir()
    found = doctor.check_chromium(env=env, installed=True)
    assert found.ok and "chromium_headless_shell-1200" in found.detail
    assert not doctor.check_chromium(env=env).ok       # a checkout's tests use a system Chromium


def make_packaged_runtime(package: Path, pyodide: str = "314.0.7", pyscript: str = "0.7.31") -> None:
    """What the release build packs into cxkit/runtime/ (empty files will do for the checks)."""
    runtime = package / "runtime"
    for rel in [*(f"pyodide/{f}" for f in PYODIDE_FILES), "pyscript/core.js", "wheel/cxkit-0.1.0-py3-none-any.whl"]:
        (runtime / rel).parent.mkdir(parents=True, exist_ok=True)
        (runtime / rel).write_bytes(b"")
    (runtime / "runtime.json").write_text(json.dumps({
        "pyodide": pyodide, "pyscript": pyscript, "wheel": "wheel/cxkit-0.1.0-py3-none-any.whl", "sources": "x"}))


def test_installed_bundle(tmp_path):
    package = tmp_path / "site-packages" / "cxkit"
    (package / "web").mkdir(parents=True)
    (package / "web" / "widgets.js").write_text("")
    missing = doctor.check_installed_bundle(package_dir=package)
    assert not missing.ok and "carries no web assets or runtime" in missing.detail
    assert "runtime.json" in missing.detail
    assert "-m pip install --upgrade 'cxkit' --force-reinstall" in missing.fix and "--cxkit-bundle DIR" in missing.fix
    make_packaged_runtime(package)
    (package / "runtime" / "pyodide" / "pyodide.asm.wasm").unlink()
    incomplete = doctor.check_installed_bundle(package_dir=package)
    assert not incomplete.ok and "pyodide.asm.wasm" in incomplete.detail
    make_packaged_runtime(package)
    found = doctor.check_installed_bundle(package_dir=package)
    assert found.ok and "Pyodide 314.0.7, PyScript 0.7.31" in found.detail and "needs no Node" in found.detail
    assert not doctor.check_installed_bundle(tmp_path / "nothing-built").ok   # --build-dir is checked as it is


def test_installed_doctor_and_version_from_a_copy_far_from_the_checkout(tmp_path):
    """The package copied into a web project's venv, run from there: no developer checks, runnable fixes."""
    site = make_web_project_with_a_venv(tmp_path / "shop")
    import shutil as sh

    sh.rmtree(site / "cxkit")
    sh.copytree(Path(doctor.__file__).parent, site / "cxkit", ignore=sh.ignore_patterns("__pycache__", "runtime"))
    env = {k: v for k, v in os.environ.items() if k not in ("CXKIT_ROOT", "CHROMIUM_PATH")}
    env["PYTHONPATH"] = str(site)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    def cxkit(*args):
        return subprocess.run([doctor.sys.executable, "-m", "cxkit.cli", *args], capture_output=True, text=True,
                              cwd=tmp_path / "shop", env=env, timeout=120)

    out = cxkit("doctor", "--ports", str(port)).stdout
    assert f"(installed, {site / 'cxkit'})" in out.splitlines()[0], out
    for word in ("Node", "npm", "node_modules", "./dev", "checkout"):
        assert word not in out, (word, out)
    assert "FAIL  bundle: this cxkit 0.1.0 carries no web assets" in out
    fixes = [line.split("fix: ", 1)[1] for line in out.splitlines() if "fix: " in line]
    runnable = (f"{doctor.sys.executable} -m pip install", "apt-get install chromium", "install Python 3.11+")
    assert fixes and all(fix.startswith(runnable) for fix in fixes), fixes
    version = cxkit("--version").stdout.strip()
    assert version == f"cxkit 0.1.0 (Python {doctor.sys.version.split()[0]})"

    make_packaged_runtime(site / "cxkit", pyodide="314.0.9", pyscript="0.7.40")   # as a release wheel has it
    version = cxkit("--version").stdout.strip()
    assert version == f"cxkit 0.1.0 (Python {doctor.sys.version.split()[0]}, Pyodide 314.0.9, PyScript 0.7.40)"
    assert "ok    bundle: Pyodide 314.0.9, PyScript 0.7.40" in cxkit("doctor", "--ports", str(port)).stdout
