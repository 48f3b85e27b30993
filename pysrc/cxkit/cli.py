"""The ``cxkit`` command: build the bundle, serve it with the mock GMS, check a machine.

    $ cxkit build                        # build/: no test pages (--test-pages adds them)
    $ cxkit serve --port 8000            # demo page, agent console, mock GMS on 127.0.0.1
    $ cxkit mock-gms --port 8001 --agent echo
    $ cxkit serve --host 0.0.0.0 --allowed-host chat.lan   # pages on other machines use http://chat.lan:8000
    $ cxkit --version
    cxkit 0.1.0 (Python 3.11.7, Pyodide 314.0.7, PyScript 0.7.31)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .mockgms.agent import AgentPreset

__all__ = ["main"]


def _build(args: argparse.Namespace, *, serving: bool = False) -> Path:
    """Build into ``--out``, else ``<checkout>/build`` (a checkout), ``./build`` (``cxkit build``
    of an installed cxkit) or a user cache folder (``cxkit serve`` of an installed cxkit)."""
    from . import __version__
    from .bundle import build_bundle, default_out, user_cache_dir
    from .checkout import find_checkout

    checkout = find_checkout()
    if args.out:
        out = Path(args.out)
    elif serving and checkout is None:  # a folder each with and without the test pages (two servers may run),
        # neither the pytest plugin's test-bundle-<version>, which it builds under a lock of its own
        out = user_cache_dir(f"bundle-{__version__}" + ("-test-pages" if args.test_pages else ""))
    else:
        out = default_out(checkout)
    build_bundle(checkout, out, test_pages=args.test_pages)
    return out


def _allowed_hosts(args: argparse.Namespace) -> tuple[str, ...]:
    """The mock's Host allowlist: ``--allowed-host`` names, and the ``--host`` it listens on
    when that is a name the check would refuse (``--host chat.lan``: pages use that name)."""
    from .mockgms.hosts import host_allowed

    hosts = tuple(getattr(args, "allowed_host", None) or ())
    host = getattr(args, "host", None)
    if host and not host_allowed(host, hosts):
        hosts = (*hosts, host)
    return hosts


def _agent_preset(spec: str) -> AgentPreset:
    """``--agent``, parsed once as it is read: a bad preset or script is a usage error naming it."""
    from .mockgms.agent import parse_preset

    try:
        return parse_preset(spec)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _mock(args: argparse.Namespace):
    from .mockgms import MockConfig, MockGMS

    config = MockConfig(cors_allow_origins=tuple(getattr(args, "cors_allow_origin", None) or ()),
                        allowed_hosts=_allowed_hosts(args))
    return MockGMS(config, agent=args.agent)


def _run(app, host: str, port: int, what: str, header_timeout: float) -> int:
    import uvicorn

    from .mockgms.serving import uvicorn_config

    # keep-alive and header timeouts: idle or slow connections cannot pile up (mockgms/serving.py)
    server = uvicorn.Server(uvicorn_config(app, host=host, port=port, header_timeout=header_timeout))
    startup = server.startup

    async def announce(*args: Any, **kwargs: Any) -> None:
        await startup(*args, **kwargs)
        if server.started:  # said once the socket listens: whoever reads the line can connect at once
            print(f"cxkit: {what} on http://{host}:{port}/  (Ctrl-C stops)", flush=True)

    server.startup = announce  # type: ignore[method-assign]
    server.run()
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    out = _build(args)
    print(f"cxkit: bundle ready in {out}" + (" (with the test pages)" if args.test_pages else ""))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .server import create_app

    out = Path(args.build_dir) if args.build_dir else _build(args, serving=True)
    if not (out / "widgets.js").is_file():
        from .bundle import BuildError

        raise BuildError(f"--build-dir {args.build_dir}: no widgets.js there; build one with `cxkit build --out {out}`")
    mock = _mock(args)
    app = create_app(out, mock=mock, isolate=args.isolate,
                     extra_static={args.static_prefix: args.static} if args.static else None)
    print(f"cxkit: demo page http://{args.host}:{args.port}/cxkit/  agent console http://{args.host}:{args.port}/agent")
    return _run(app, args.host, args.port, "serving the bundle and the mock GMS", mock.config.header_timeout_seconds)


def cmd_mock_gms(args: argparse.Namespace) -> int:
    mock = _mock(args)
    return _run(mock.app, args.host, args.port, "mock GMS", mock.config.header_timeout_seconds)


def version_text() -> str:
    """``cxkit 0.1.0 (Python 3.11.7, Pyodide 314.0.7, PyScript 0.7.31)``: cxkit, the Python it
    runs on, and the browser runtime (the one packaged in an installed cxkit; in a checkout the
    one package.json pins).

        >>> version_text().startswith("cxkit ")
        True
    """
    from . import __version__
    from .assets import BuildError, packaged_runtime
    from .checkout import find_checkout

    parts = [f"Python {sys.version.split()[0]}"]
    root = find_checkout()
    try:
        if root:
            deps = json.loads((root / "package.json").read_text()).get("dependencies", {})
        else:
            runtime = packaged_runtime()
            deps = {"pyodide": runtime.pyodide_version, "@pyscript/core": runtime.pyscript_version}
    except (OSError, ValueError, BuildError):  # a broken install must not break --version
        deps = {}
    parts += [f"{label} {deps[name]}" for name, label in (("pyodide", "Pyodide"), ("@pyscript/core", "PyScript"))
              if name in deps]
    return f"cxkit {__version__} ({', '.join(parts)})"


def build_parser() -> argparse.ArgumentParser:
    """The ``cxkit`` command line (the reference renders its options from it)."""
    parser = argparse.ArgumentParser(prog="cxkit", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=version_text(),
                        help="print cxkit's version (and its Python, Pyodide and PyScript) and exit")
    sub = parser.add_subparsers(dest="command", required=True)

    test_pages: dict[str, Any] = dict(
        action=argparse.BooleanOptionalAction, default=False,
        help="also build the pages test suites use (e2e*.html; one runs Python the page "
             "sends: never on a real site). Default: left out")
    p = sub.add_parser("build", help="build the static bundle into build/")
    p.add_argument("--out", help="output folder (default: build/ in the checkout, else in the current folder)")
    p.add_argument("--test-pages", **test_pages)
    p.set_defaults(func=cmd_build)

    for name, func, port in (("serve", cmd_serve, 8000), ("mock-gms", cmd_mock_gms, 8001)):
        p = sub.add_parser(name, help="serve the bundle + mock GMS" if name == "serve" else "run the mock GMS alone")
        p.add_argument("--host", default="127.0.0.1",
                       help="address or name to listen on (a name is also allowed as the Host of requests)")
        p.add_argument("--port", type=int, default=port)
        p.add_argument("--agent", default="echo", type=_agent_preset, help="agent preset: silent, echo, script:PATH")
        p.add_argument("--cors-allow-origin", action="append", metavar="ORIGIN",
                       help="another origin allowed to call the mock GMS (repeatable)")
        p.add_argument("--allowed-host", action="append", metavar="NAME",
                       help="another host name pages may reach the mock GMS by (repeatable; IP addresses, "
                            "localhost and *.localhost always can)")
        p.set_defaults(func=func)
        if name == "serve":
            p.add_argument("--isolate", action="store_true", help="send COOP/COEP headers (PyScript worker mode)")
            p.add_argument("--out", help="bundle folder to build into (default: build/ in the checkout, "
                                         "else a cache folder)")
            p.add_argument("--test-pages", **test_pages)
            p.add_argument("--build-dir", help="serve this prebuilt bundle instead of building")
            p.add_argument("--static", help="also serve this folder of your own pages")
            p.add_argument("--static-prefix", default="/site", help="URL prefix for --static (default /site)")

    from . import doctor

    doctor.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # a clear one-line error beats a traceback for set-up problems
        from .bundle import BuildError

        if isinstance(exc, BuildError):
            print(f"cxkit: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
