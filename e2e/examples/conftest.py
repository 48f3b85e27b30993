"""What a user's own ``conftest.py`` holds for these how-to tests, so they run on their own too
(``pip install cxkit pytest-playwright``, copy this folder, ``pytest``): CI does exactly that.

- the pages of ``site/`` are served at ``/site``, beside the bundle and the mock GMS;
- every test that opens a browser is kept on this machine (``offline_guard``).
"""

from pathlib import Path

import pytest

SITE = Path(__file__).parent / "site"


@pytest.fixture(scope="session")
def cxkit_server_args(cxkit_server_args):
    return {**cxkit_server_args, "extra_static": {**cxkit_server_args["extra_static"], "/site": SITE}}


@pytest.fixture(autouse=True)
def _offline(request):
    if "context" in request.fixturenames or "page" in request.fixturenames:
        request.getfixturevalue("offline_guard")
