"""Plugin tests run pytest inside pytest (``pytester``), against a fake bundle: no browser.
The control-API tests share a running mock (``server``) and a reset client (``control``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cxkit.mockgms import MockConfig, MockGMS
from cxkit.testing import MockGmsControl

pytest_plugins = ["pytester"]

FAKE_BUNDLE_CONFTEST = '''
import pytest

@pytest.fixture(scope="session")
def cxkit_bundle_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bundle")
    (folder / "widgets.js").write_text("/* loader */")
    (folder / "e2e.html").write_text("<p>bundled test page</p>")
    return folder
'''


#: In-process runs go without pytest-playwright (its soft-assertion scope does not nest) and
#: pytest-asyncio (the project's own ini does not apply to the inner runs).
QUIET_INI = "[pytest]\naddopts = -p no:playwright -p no:asyncio\n"


@pytest.fixture
def pytester(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(QUIET_INI)
    return pytester


@pytest.fixture
def fake_bundle(tmp_path: Path) -> Path:
    """A folder that looks like a built bundle (for ``--cxkit-bundle``)."""
    folder = tmp_path / "bundle"
    folder.mkdir()
    (folder / "widgets.js").write_text("/* loader */")
    (folder / "e2e.html").write_text("<p>bundled test page</p>")
    return folder


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester whose suite serves a fake bundle (a ``cxkit_bundle_dir`` override)."""
    pytester.makeconftest(FAKE_BUNDLE_CONFTEST)
    return pytester


@pytest.fixture(scope="module")
def server() -> Iterator[MockGMS]:
    """A MockGMS on its own thread, agent silent, no idle alerts (one per test module)."""
    with MockGMS.running(config=MockConfig(idle_alert_seconds=0), agent="silent") as gms:
        yield gms


@pytest.fixture
def control(server: MockGMS) -> Iterator[MockGmsControl]:
    """``MockGmsControl`` on ``server``, reset before the test."""
    with MockGmsControl(server.url, timeout=5) as gms:
        gms.reset()
        yield gms
