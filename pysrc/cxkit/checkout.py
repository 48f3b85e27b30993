"""Is cxkit running from its own source checkout, or installed (``pip install cxkit``)?

    >>> from pathlib import Path
    >>> find_checkout(env={}, package_dir=Path("/venv/lib/python3.12/site-packages/cxkit")) is None
    True

A checkout builds the bundle from ``node_modules`` and its own sources; an installed cxkit uses
the assets packaged in its wheel. ``cxkit doctor``, ``cxkit build`` and the pytest plugin all
decide with `find_checkout`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

__all__ = ["find_checkout", "is_cxkit_project"]


def find_checkout(explicit: str | None = None, env: Mapping[str, str] | None = None,
                  package_dir: Path | None = None) -> Path | None:
    """The cxkit checkout this cxkit runs from, or None for an installed cxkit.

    ``explicit`` (``--root``) or ``CXKIT_ROOT`` name one; otherwise it is the source tree cxkit
    is imported from: the package is ``<root>/pysrc/cxkit`` and ``<root>/pyproject.toml`` names
    the project ``cxkit``. A folder that merely holds a ``web/widgets.js`` and a ``package.json``
    above an installed cxkit (a user's own web project with a virtualenv inside) is not a checkout.
    """
    env = os.environ if env is None else env
    if explicit or env.get("CXKIT_ROOT"):
        return Path(explicit or env["CXKIT_ROOT"]).resolve()
    if package_dir is None:
        import cxkit

        package_dir = Path(cxkit.__file__).resolve().parent
    root = package_dir.parent.parent
    if package_dir.parent.name != "pysrc" or not (package_dir / "web" / "widgets.js").is_file():
        return None
    return root if is_cxkit_project(root) else None


def is_cxkit_project(root: Path) -> bool:
    """Whether ``root/pyproject.toml`` is cxkit's own.

        >>> is_cxkit_project(Path("/nonexistent"))
        False
    """
    try:
        text = (root / "pyproject.toml").read_text()
    except OSError:
        return False
    return bool(re.search(r'(?m)^name\s*=\s*"cxkit"\s*$', text))
