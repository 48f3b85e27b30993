"""Prove that ``pip install cxkit`` is all a user needs: build the release wheel, install it as a
user would, and run the how-to tests from there (``./dev test`` runs this last).

    .venv/bin/python scripts/try_installed_wheel.py [--keep] [--wheel DIST/cxkit-*.whl]

1. ``python -m build``: the sdist, then the wheel from it (the build backend packs the runtime
   in; Node is needed for this step only). The wheel must stay <= 25 MB and carry the licences.
2. A fresh virtualenv in a temporary folder outside the checkout: ``pip install <wheel>
   pytest-playwright``.
3. From there, with a PATH that has no node, nodejs, npm or npx, and a fresh cache folder:
   ``cxkit --version``, ``cxkit build`` (no test pages by default), and ``pytest`` on a copy of
   ``e2e/examples`` (the how-to tests and their conftest, as a user's suite would be), in
   Debian's Chromium (``CHROMIUM_PATH``, else ``chromium`` on PATH).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_WHEEL_BYTES = 25 * 1000 * 1000
LICENCES = ("cxkit/runtime/licenses/Pyodide-LICENSE.txt", "cxkit/runtime/licenses/PyScript-LICENSE.txt",
            "cxkit/runtime/licenses/Python-LICENSE.txt")
#: What must be out of reach: an installed cxkit may not need any of them.
NODE_TOOLS = {"node", "nodejs", "npm", "npx", "corepack"}


def step(what: str) -> None:
    print(f"\n== {what}", flush=True)


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    print("$ " + " ".join(str(c) for c in cmd), flush=True)
    proc = subprocess.run(cmd, text=True, **kwargs)
    if proc.returncode != 0:
        if isinstance(proc.stdout, str):  # captured: the reader of a failed run needs to see why
            print(proc.stdout, end="", flush=True)
        sys.exit(f"try_installed_wheel: failed ({proc.returncode}): {' '.join(map(str, cmd))}")
    return proc


def build_wheel(dist: Path) -> Path:
    step("python -m build (sdist, then the wheel from it)")
    run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)], stdout=subprocess.DEVNULL)
    (wheel,) = dist.glob("cxkit-*.whl")
    return wheel


def check_wheel(wheel: Path) -> None:
    size = wheel.stat().st_size
    print(f"{wheel.name}: {size / 1e6:.1f} MB")
    if size > MAX_WHEEL_BYTES:
        sys.exit(f"try_installed_wheel: the wheel is {size / 1e6:.1f} MB, over the 25 MB budget")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [n for n in (*LICENCES, "cxkit/runtime/runtime.json", "cxkit/web/widgets.js") if n not in names]
    if missing:
        sys.exit(f"try_installed_wheel: the wheel lacks {', '.join(missing)}")


def path_without_node(shims: Path) -> str:
    """A folder of links to every program on PATH except Node's, to use as the only PATH."""
    shims.mkdir()
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not folder or not Path(folder).is_dir():
            continue
        for program in Path(folder).iterdir():
            link = shims / program.name
            if program.name in NODE_TOOLS or link.exists() or not os.access(program, os.X_OK):
                continue
            link.symlink_to(program)
    return str(shims)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    parser.add_argument("--wheel", type=Path, help="try this wheel instead of building one")
    args = parser.parse_args(argv)
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("try_installed_wheel: no Chromium (set CHROMIUM_PATH or apt-get install chromium)")
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="cxkit-user-"))
    try:
        wheel = args.wheel.resolve() if args.wheel else build_wheel(tmp / "dist")
        check_wheel(wheel)

        step("a fresh virtualenv outside the checkout: pip install <wheel> pytest-playwright")
        venv = tmp / "venv"
        run([sys.executable, "-m", "venv", str(venv)])
        run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel), "pytest-playwright"])

        env = {k: v for k, v in os.environ.items()
               if k not in ("CXKIT_ROOT", "CXKIT_BUNDLE", "PYTHONPATH", "VIRTUAL_ENV", "PYTEST_ADDOPTS")
               and not k.startswith("PYTEST_XDIST")}
        env.update(PATH=f"{venv / 'bin'}{os.pathsep}{path_without_node(tmp / 'bin')}",
                   XDG_CACHE_HOME=str(tmp / "cache"), CHROMIUM_PATH=chromium)
        assert not any(shutil.which(t, path=env["PATH"]) for t in NODE_TOOLS), "node is still on PATH"
        suite = tmp / "my-tests"
        shutil.copytree(ROOT / "e2e" / "examples", suite, ignore=shutil.ignore_patterns("__pycache__"))

        step("as a user, Node out of reach: cxkit --version, cxkit build, pytest")
        run(["cxkit", "--version"], cwd=suite, env=env)
        run(["cxkit", "build", "--out", str(tmp / "site")], cwd=suite, env=env, stdout=subprocess.DEVNULL)
        if list((tmp / "site").glob("e2e*")) or not (tmp / "site" / "index.html").is_file():
            sys.exit("try_installed_wheel: `cxkit build` must write the demo page and no test pages")
        tests = run(["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=suite, env=env,
                    stdout=subprocess.PIPE)
        print(tests.stdout, end="")
        if "warnings summary" in tests.stdout:  # a user's suite would print them on every run
            sys.exit("try_installed_wheel: the user's pytest run printed warnings")
        print(f"\ntry_installed_wheel: ok in {time.monotonic() - started:.0f} s ({wheel.name}, "
              f"{wheel.stat().st_size / 1e6:.1f} MB)")
        return 0
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
