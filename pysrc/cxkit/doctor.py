"""``cxkit doctor``: check this machine and checkout, and say exactly what to do about each problem.

    $ cxkit doctor
    cxkit doctor (checkout /work/cxkit)
      ok    Python 3.11.7
      ok    Python packages: starlette 0.46.1, uvicorn 0.34.0, httpx 0.28.1, playwright 1.51.0, ...
      FAIL  Chromium: not found (CHROMIUM_PATH is unset; none of chromium, chromium-browser, ... on PATH)
            fix: apt-get install chromium (as root), or set CHROMIUM_PATH to a Chromium binary
      ...
    1 problem. Fix it and run `cxkit doctor` again.

Two kinds of user, told apart by `find_checkout`: in a checkout (cxkit imported from its own
``pysrc/``, or ``--root``/``CXKIT_ROOT``) the developer checks run (Node/npm, node_modules, the
build, fixes such as ``./dev setup``); for an installed cxkit (``pip install cxkit``) only what
that user needs (Python, cxkit's own dependencies, the bundle, Chromium, ports), and every fix
is a command that user can run (``python -m pip install ...``, ``apt-get install chromium``).

Each check is a small function returning a `Result`; `run_checks` runs them all. They use
``shutil.which``, ``subprocess.run`` and ``socket`` through this module, so tests swap in fakes::

    >>> from cxkit.doctor import check_python
    >>> check_python((3, 12, 1)).ok
    True
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .checkout import find_checkout
from .testing.chromium import CHROMIUM_NAMES

__all__ = [
    "Result", "add_parser", "main", "run", "run_checks", "check_python", "check_packages", "check_chromium",
    "check_node", "check_runtime_assets", "check_build", "check_installed_bundle", "check_ports", "find_checkout",
]

MIN_PYTHON = (3, 11)
MIN_NODE = 20
DEFAULT_PORTS = (8000, 8001)  # cxkit serve, cxkit mock-gms
RUNTIME_PACKAGES = ("pyodide", "@pyscript/core")  # pinned in package.json, bundled by `cxkit build`
# Used when cxkit's own metadata is unavailable (e.g. running from a source tree without pip).
FALLBACK_REQUIREMENTS = ("starlette>=0.40", "uvicorn>=0.30", "httpx>=0.27", "python-multipart>=0.0.9",
                         "jinja2>=3.1", "pyyaml>=6", "playwright>=1.45")
SETUP_HINT = "run `./dev setup` (or `.venv/bin/pip install -e '.[test]'` in the checkout)"


@dataclass
class Result:
    """One check's outcome; ``fix`` says what to run when ``ok`` is false."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


# -- helpers ----------------------------------------------------------------------------------

def _version_tuple(text: str) -> tuple[int, ...]:
    """The leading dotted number in ``text``: "v20.11.1" -> (20, 11, 1); no number -> ()."""
    found = re.search(r"(\d+(?:\.\d+)*)", text)
    return tuple(int(p) for p in found.group(1).split(".")) if found else ()


def _run_version(exe: str, timeout: float = 30) -> tuple[bool, str]:
    """Run ``exe --version``: (worked, first line of output or the error)."""
    try:
        proc = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"{type(exc).__name__}: {exc}"
    out = (proc.stdout or proc.stderr or "").strip().splitlines()
    first = out[0].strip() if out else ""
    if proc.returncode != 0:
        return False, f"exit code {proc.returncode}: {first or 'no output'}"
    return True, first


def _pins(root: Path) -> dict[str, str]:
    """The runtime asset versions package.json pins, e.g. {"pyodide": "314.0.7", ...}."""
    deps = json.loads((root / "package.json").read_text()).get("dependencies", {})
    return {name: str(deps[name]) for name in RUNTIME_PACKAGES if name in deps}


# -- checks ----------------------------------------------------------------------------------

def _pip(*requirements: str) -> str:
    """A pip command for this very interpreter (so it lands in the environment cxkit runs in)."""
    return f"{sys.executable} -m pip install --upgrade " + " ".join(f"'{r}'" for r in requirements)


def check_python(version: Sequence[int] | None = None, *, installed: bool = False) -> Result:
    """The running Python is 3.11 or newer."""
    version = tuple(version or sys.version_info[:3])
    text = ".".join(str(p) for p in version)
    if version[:2] < MIN_PYTHON:
        fix = ("install Python 3.11+ (Debian: apt-get install python3 python3-venv), then cxkit with it: "
               "python3 -m venv venv && venv/bin/pip install cxkit" if installed else
               "install Python 3.11+ (Debian: apt-get install python3 python3-venv) "
               "and recreate the venv: rm -rf .venv && ./dev setup")
        return Result("Python", False, f"Python {text} is older than 3.11", fix)
    return Result("Python", True, f"Python {text}")


def _requirements(*, with_test: bool = True) -> list[tuple[str, tuple[int, ...]]]:
    try:
        raw = metadata.requires("cxkit") or []
    except metadata.PackageNotFoundError:
        raw = list(FALLBACK_REQUIREMENTS)
    out = []
    for line in raw:
        spec, _, marker = line.partition(";")
        if "extra" in marker and ("test" not in marker or not with_test):
            continue  # an optional extra (the test one only counts in a checkout)
        found = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(?:\[[^\]]*\])?\s*(?:>=\s*([\d.]+))?", spec)
        if found:
            out.append((found.group(1), _version_tuple(found.group(2) or "")))
    return out


def check_packages(requirements: Iterable[tuple[str, tuple[int, ...]]] | None = None,
                   version_of: Callable[[str], str] = metadata.version, *, installed: bool = False) -> Result:
    """cxkit's Python dependencies (from its own metadata; in a checkout the test extra too) are
    installed at their minimum versions."""
    found, problems, wanted = [], [], []
    for name, minimum in (_requirements(with_test=not installed) if requirements is None else requirements):
        spec = name + (f">={'.'.join(map(str, minimum))}" if minimum else "")
        try:
            have = version_of(name)
        except metadata.PackageNotFoundError:
            problems.append(f"{name} is not installed")
            wanted.append(spec)
            continue
        if minimum and _version_tuple(have) < minimum:
            problems.append(f"{name} {have} is older than {'.'.join(map(str, minimum))}")
            wanted.append(spec)
        else:
            found.append(f"{name} {have}")
    if problems:
        return Result("Python packages", False, "; ".join(problems), _pip(*wanted) if installed else SETUP_HINT)
    return Result("Python packages", True, ", ".join(found))


def _playwright_chromium(env: Mapping[str, str]) -> Path | None:
    """Playwright's own downloaded Chromium (``playwright install chromium``), if any."""
    home = Path(env.get("HOME") or Path.home())
    default = (home / "Library" / "Caches" if sys.platform == "darwin" else
               Path(env.get("LOCALAPPDATA") or home) if os.name == "nt" else home / ".cache")
    browsers = Path(env.get("PLAYWRIGHT_BROWSERS_PATH") or default / "ms-playwright")
    found = sorted(browsers.glob("chromium*-*")) if browsers.is_dir() else []
    return found[-1] if found else None


def check_chromium(env: Mapping[str, str] | None = None, *, installed: bool = False) -> Result:
    """A Chromium for the browser tests: ``CHROMIUM_PATH`` if set, else on PATH (for an installed
    cxkit, Playwright's own download counts too); it must run."""
    env = os.environ if env is None else env
    fix_install = "apt-get install chromium (as root), or set CHROMIUM_PATH to a Chromium binary"
    if installed:
        fix_install = (f"apt-get install chromium (as root, Debian/Ubuntu), or `{sys.executable} -m playwright "
                       "install chromium`, or set CHROMIUM_PATH to a Chromium binary")
        downloaded = None if env.get("CHROMIUM_PATH") else _playwright_chromium(env)
        if downloaded is not None:
            return Result("Chromium", True, f"Playwright's {downloaded.name} ({downloaded.parent})")
    path = env.get("CHROMIUM_PATH")
    if path:
        if not Path(path).is_file():
            return Result("Chromium", False, f"CHROMIUM_PATH={path} does not exist",
                          f"point CHROMIUM_PATH at a Chromium binary, or unset it and {fix_install}")
        exe = path
    else:
        found = next((hit for hit in map(shutil.which, CHROMIUM_NAMES) if hit), None)
        if found is None:
            return Result("Chromium", False, "not found (CHROMIUM_PATH is unset; none of "
                          f"{', '.join(CHROMIUM_NAMES)} on PATH)", fix_install)
        exe = found
    worked, line = _run_version(exe)
    if not worked:
        return Result("Chromium", False, f"{exe} --version failed: {line}",
                      "reinstall it (apt-get install --reinstall chromium) or set CHROMIUM_PATH "
                      "to a Chromium that runs")
    return Result("Chromium", True, f"{line} ({exe})")


def check_node() -> Result:
    """Node.js 20+ and npm, needed for `npm ci` (the pinned Pyodide and PyScript)."""
    fix = ("install Node.js 20+ with npm (Debian 13: apt-get install nodejs npm; older Debian: "
           "NodeSource's nodejs 20 package)")
    node = shutil.which("node")
    if node is None:
        return Result("Node.js/npm", False, "node is not on PATH", fix)
    worked, line = _run_version(node)
    if not worked:
        return Result("Node.js/npm", False, f"node --version failed: {line}", fix)
    major = (_version_tuple(line) or (0,))[0]
    if major < MIN_NODE:
        return Result("Node.js/npm", False, f"Node.js {line} is older than {MIN_NODE}", fix)
    npm = shutil.which("npm")
    if npm is None:
        return Result("Node.js/npm", False, f"Node.js {line}, but npm is not on PATH",
                      "install npm (Debian: apt-get install npm)")
    npm_ok, npm_line = _run_version(npm)
    if not npm_ok:
        return Result("Node.js/npm", False, f"npm --version failed: {npm_line}",
                      "reinstall npm (Debian: apt-get install --reinstall npm)")
    return Result("Node.js/npm", True, f"Node.js {line}, npm {npm_line}")


def check_runtime_assets(root: Path | None) -> Result:
    """node_modules holds pyodide and @pyscript/core at the versions package.json pins."""
    name = "runtime assets (node_modules)"
    if root is None:
        return Result(name, False, "no cxkit checkout found (pysrc/cxkit/web/widgets.js + package.json)",
                      "run cxkit from its checkout, or set CXKIT_ROOT to the checkout")
    fix = f"run `npm ci` in {root}"
    problems = []
    for package, pinned in _pins(root).items():
        meta = root / "node_modules" / package / "package.json"
        if not meta.is_file():
            problems.append(f"{package} is not installed")
            continue
        have = json.loads(meta.read_text()).get("version")
        if have != pinned:
            problems.append(f"{package} is {have}, package.json pins {pinned}")
    if not problems:
        from .bundle import PYODIDE_FILES

        missing = [f for f in PYODIDE_FILES if not (root / "node_modules" / "pyodide" / f).is_file()]
        if missing:
            problems.append(f"node_modules/pyodide lacks {', '.join(missing)}")
    if problems:
        return Result(name, False, "; ".join(problems), fix)
    return Result(name, True, ", ".join(f"{p} {v}" for p, v in _pins(root).items()))


def check_build(root: Path | None, build_dir: Path | None = None) -> Result:
    """build/manifest.json exists, every file it names exists, its runtime versions are the
    pinned ones, and its cxkit wheel is the one the current sources make."""
    name = "build"
    if root is None and build_dir is None:
        return Result(name, False, "no cxkit checkout found", "set CXKIT_ROOT to the checkout")
    out = build_dir or root / "build"  # type: ignore[operator]
    fix = f"run `cxkit build --out {out}`" if build_dir else "run `./dev build` (or `cxkit build`) in the checkout"
    manifest_path = out / "manifest.json"
    if not manifest_path.is_file():
        return Result(name, False, f"{manifest_path} does not exist (never built)", fix)
    try:
        manifest = json.loads(manifest_path.read_text())
        named = [manifest["pyodide"], manifest["pyscript"], *manifest["wheels"]]
    except (ValueError, KeyError, TypeError) as exc:
        return Result(name, False, f"{manifest_path} is unreadable ({exc})", fix)
    missing = [rel for rel in named if not (out / rel).is_file()]
    if missing:
        return Result(name, False, f"manifest names missing files: {', '.join(missing)}", fix)
    if root is not None and (root / "package.json").is_file():
        pins = _pins(root)
        for package, rel in (("pyodide", manifest["pyodide"]), ("@pyscript/core", manifest["pyscript"])):
            if package in pins and f"/{pins[package]}/" not in f"/{rel}":
                return Result(name, False, f"the build has {rel}, package.json pins {package} "
                              f"{pins[package]} (stale build)", fix)
        stale = _stale_wheel(root, out, manifest)
        if stale:
            return Result(name, False, stale, fix)
    return Result(name, True, f"{out} ({len(manifest['wheels'])} wheels, "
                  f"{len(manifest.get('pages', []))} pages)")


def _stale_wheel(root: Path, out: Path, manifest: dict) -> str:
    """A message if the bundle was built from other browser sources than the checkout has."""
    if not (root / "pysrc" / "cxkit").is_dir():
        return ""
    from .bundle import browser_sources_digest

    if manifest.get("sources") != browser_sources_digest(root / "pysrc"):
        return f"the cxkit wheel in {out} is older than the sources"
    return ""


def check_installed_bundle(build_dir: Path | None = None, package_dir: Path | None = None) -> Result:
    """An installed cxkit carries what ``cxkit build``/``serve`` and the pytest plugin make a
    bundle from (the web files and the runtime the release build packed into the wheel), or
    ``--build-dir`` names a bundle that is complete."""
    if build_dir is not None:
        return check_build(None, build_dir)
    from . import __version__
    from .assets import PACKAGE_DIR, BuildError, packaged_runtime

    package_dir = package_dir or PACKAGE_DIR
    try:
        if not (package_dir / "web" / "widgets.js").is_file():
            raise BuildError(f"{package_dir / 'web' / 'widgets.js'} is missing")
        runtime = packaged_runtime(package_dir / "runtime")
    except BuildError as exc:
        return Result("bundle", False, f"this cxkit {__version__} carries no web assets or runtime, so "
                      f"`cxkit build`, `cxkit serve` and the pytest plugin cannot make a bundle ({exc})",
                      _pip("cxkit") + " --force-reinstall (a release wheel has them inside), or use a bundle "
                      "built elsewhere: `cxkit serve --build-dir DIR`, `pytest --cxkit-bundle DIR`")
    return Result("bundle", True, f"Pyodide {runtime.pyodide_version}, PyScript {runtime.pyscript_version} and "
                  f"the web assets, in {package_dir} (`cxkit build` needs no Node)")


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def check_ports(ports: Sequence[int] = DEFAULT_PORTS, host: str = "127.0.0.1") -> Result:
    """The default ports of `cxkit serve` (8000) and `cxkit mock-gms` (8001) are free."""
    busy = [p for p in ports if not _port_free(host, p)]
    if busy:
        listed = ", ".join(map(str, busy))
        return Result("ports", False, f"in use on {host}: {listed}",
                      f"stop what listens there (`ss -ltnp 'sport = :{busy[0]}'` shows it; often an "
                      "earlier `cxkit serve`), or pick another port: `cxkit serve --port 8080`")
    return Result("ports", True, f"{', '.join(map(str, ports))} free on {host}")


# -- running ---------------------------------------------------------------------------------

def run_checks(root: Path | None, build_dir: Path | None = None,
               ports: Sequence[int] = DEFAULT_PORTS) -> list[Result]:
    """Every check, in the order a set-up goes. In a checkout (``root``): Python, packages, Node,
    assets, build, browser, ports. For an installed cxkit (``root`` None): Python, packages,
    bundle, browser, ports, with fixes that user can run."""
    if root is None:
        checks: list[Callable[[], Result]] = [
            lambda: check_python(installed=True), lambda: check_packages(installed=True),
            lambda: check_installed_bundle(build_dir), lambda: check_chromium(installed=True),
            lambda: check_ports(ports),
        ]
    else:
        checks = [
            check_python, check_packages, check_node, lambda: check_runtime_assets(root),
            lambda: check_build(root, build_dir), check_chromium, lambda: check_ports(ports),
        ]
    results = []
    for check in checks:
        try:
            results.append(check())
        except Exception as exc:  # a broken check must not hide the others
            results.append(Result(getattr(check, "__name__", "check"), False,
                                  f"the check itself failed: {type(exc).__name__}: {exc}",
                                  "report this as a cxkit bug"))
    return results


def format_results(results: Sequence[Result]) -> str:
    lines = []
    for r in results:
        lines.append(f"  {'ok  ' if r.ok else 'FAIL'}  {r.name}: {r.detail}")
        if not r.ok and r.fix:
            lines.append(f"        fix: {r.fix}")
    problems = sum(not r.ok for r in results)
    lines.append("All good." if not problems else
                 f"{problems} problem{'s' if problems > 1 else ''}. Fix "
                 f"{'them' if problems > 1 else 'it'} and run `cxkit doctor` again.")
    return "\n".join(lines)


HELP = "check this machine: Python, deps, the bundle, Chromium, ports (in a checkout also Node/npm, node_modules)"


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The doctor's options, on its own parser or on ``cxkit``'s sub-command parser."""
    parser.add_argument("--root", help="the cxkit checkout (default: CXKIT_ROOT or the one this cxkit runs from; "
                                       "none for an installed cxkit)")
    parser.add_argument("--build-dir", help="check this bundle instead of <checkout>/build")
    parser.add_argument("--ports", default=",".join(map(str, DEFAULT_PORTS)),
                        help="ports that should be free (default 8000,8001)")
    return parser


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``doctor`` on ``cxkit``'s sub-commands (``args.func(args)`` runs it)."""
    parser = add_arguments(subparsers.add_parser("doctor", help=HELP))
    parser.set_defaults(func=run)
    return parser


def build_parser() -> argparse.ArgumentParser:
    return add_arguments(argparse.ArgumentParser(prog="cxkit doctor", description=HELP))


def run(args: argparse.Namespace) -> int:
    """Print every check; 0 when all pass, 1 otherwise."""
    from . import __version__

    root = find_checkout(args.root)
    ports = [int(p) for p in args.ports.split(",") if p.strip()]
    results = run_checks(root, Path(args.build_dir) if args.build_dir else None, ports)
    where = f"checkout {root}" if root else f"installed, {Path(__file__).resolve().parent}"
    print(f"cxkit doctor, cxkit {__version__} ({where})")
    print(format_results(results))
    return 0 if all(r.ok for r in results) else 1


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m cxkit.doctor [--root DIR] [--build-dir DIR] [--ports 8000,8001]``."""
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
