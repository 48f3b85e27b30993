"""Prove that ``pip install cxkit`` is all a user needs: build the release wheel, install it as a
user would, and run the how-to tests from there (``./dev test`` runs this last).

    .venv/bin/python scripts/try_installed_wheel.py [--keep] [--wheel DIST/cxkit-*.whl]

1. ``python -m build``: the sdist, then the wheel from it (the build backend packs the runtime
   in; Node is needed for this step only). The wheel must stay <= 25 MB and carry the licences.
2. A fresh virtualenv in a temporary folder outside the checkout: ``pip install <wheel>
   pytest-playwright``.
3. From there, with a PATH that has no node, nodejs, npm or npx, and a fresh cache folder:
   ``cxkit --version``, ``cxkit build`` (no test pages by default), ``cxkit serve`` (the demo page
   and the loader answer), and ``pytest`` on a copy of
   ``e2e/examples`` (the how-to tests and their conftest, as a user's suite would be), in
   Debian's Chromium (``CHROMIUM_PATH``, else ``chromium`` on PATH). Their Pythons may not reach
   beyond 127.0.0.1 (a ``sitecustomize`` refuses and records it): no network, as the README says.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_WHEEL_BYTES = 25 * 1000 * 1000
LICENCES = ("cxkit/runtime/licenses/Pyodide-LICENSE.txt", "cxkit/runtime/licenses/PyScript-LICENSE.txt",
            "cxkit/runtime/licenses/Python-LICENSE.txt")
#: What must be out of reach: an installed cxkit may not need any of them.
NODE_TOOLS = {"node", "nodejs", "npm", "npx", "corepack"}
#: Loaded by every Python of the user steps: a connection or a name lookup beyond this machine is
#: refused and written down (the browser's own requests are the offline guard's business).
NO_NETWORK = """
import os, socket
_LOCAL = {None, "", "localhost", "127.0.0.1", "::1", "0.0.0.0", "::"}
_connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

def _refuse(what):
    with open(os.environ["CXKIT_NETWORK_LOG"], "a") as log:
        log.write(f"{os.getpid()} {what}\\n")
    raise OSError(f"try_installed_wheel: no network for cxkit: {what}")

def _local(address):
    host = address[0] if isinstance(address, tuple) else None
    return not isinstance(address, tuple) or host in _LOCAL or str(host).startswith("127.")

def connect(self, address):
    return _connect(self, address) if _local(address) else _refuse(f"connect {address}")

def connect_ex(self, address):
    return _connect_ex(self, address) if _local(address) else _refuse(f"connect {address}")

def getaddrinfo(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    if name in _LOCAL or str(name).startswith("127."):
        return _getaddrinfo(host, *args, **kwargs)
    return _refuse(f"lookup {name}")

socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
"""


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


def serve_demo(env: dict[str, str], cwd: Path) -> None:
    """``cxkit serve`` as the README runs it: the demo page and the loader answer, then it stops."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    print(f"$ cxkit serve --port {port}  (until / and /cxkit/widgets.js answer)", flush=True)
    log = cwd.parent / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(["cxkit", "serve", "--port", str(port)], cwd=cwd, env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180  # it builds its bundle first (cold: seconds, more on a loaded machine)
        for path in ("/", "/cxkit/widgets.js"):
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"try_installed_wheel: `cxkit serve` did not answer {path}:\n{log.read_text()[-2000:]}")
                time.sleep(0.2)  # polling a starting server: nothing to wait on
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


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
        guard = tmp / "no-network"
        guard.mkdir()
        (guard / "sitecustomize.py").write_text(NO_NETWORK)
        network_log = tmp / "network.log"
        env.update(PATH=f"{venv / 'bin'}{os.pathsep}{path_without_node(tmp / 'bin')}",
                   XDG_CACHE_HOME=str(tmp / "cache"), CHROMIUM_PATH=chromium,
                   PYTHONPATH=str(guard), CXKIT_NETWORK_LOG=str(network_log))
        assert not any(shutil.which(t, path=env["PATH"]) for t in NODE_TOOLS), "node is still on PATH"
        suite = tmp / "my-tests"
        shutil.copytree(ROOT / "e2e" / "examples", suite, ignore=shutil.ignore_patterns("__pycache__"))

        step("as a user, Node and the network out of reach: cxkit --version, cxkit build, cxkit serve, pytest")
        subprocess.run(["python", "-c", "import socket; socket.create_connection(('192.0.2.1', 80), timeout=1)"],
                       cwd=suite, env=env, stderr=subprocess.DEVNULL)  # fails: the guard must say so
        if not network_log.is_file():
            sys.exit("try_installed_wheel: the network guard did not load")
        network_log.unlink()
        run(["cxkit", "--version"], cwd=suite, env=env)
        run(["cxkit", "build", "--out", str(tmp / "site")], cwd=suite, env=env, stdout=subprocess.DEVNULL)
        if list((tmp / "site").glob("e2e*")) or not (tmp / "site" / "index.html").is_file():
            sys.exit("try_installed_wheel: `cxkit build` must write the demo page and no test pages")
        serve_demo(env, cwd=suite)
        tests = run(["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=suite, env=env,
                    stdout=subprocess.PIPE)
        print(tests.stdout, end="")
        if "warnings summary" in tests.stdout:  # a user's suite would print them on every run
            sys.exit("try_installed_wheel: the user's pytest run printed warnings")
        if network_log.is_file():
            sys.exit(f"try_installed_wheel: cxkit reached for the network:\n{network_log.read_text()}")
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
