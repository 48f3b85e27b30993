"""Test helpers for suites that drive cxkit pages against the mock GMS.

    >>> from cxkit.testing import MockGmsControl
"""

from .control import MockGmsControl

__all__ = ["MockGmsControl"]
