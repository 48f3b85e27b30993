"""`cxkit doctor`: each check against fakes (PATH lookups, subprocesses, a temp checkout, sockets)."""

from __future__ import annotations

import json
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
    assert not result.ok and f"--out {tmp_path / 'empty'}" in result.fix


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
