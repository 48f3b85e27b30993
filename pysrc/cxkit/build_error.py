"""The one error a bundle or wheel build raises, shared by the build modules.

    >>> from cxkit.build_error import BuildError
    >>> str(BuildError("runtime assets missing: run `npm ci`"))
    'runtime assets missing: run `npm ci`'
"""

from __future__ import annotations

__all__ = ["BuildError"]


class BuildError(RuntimeError):
    """The bundle could not be built; the message says what is missing and what to run."""
