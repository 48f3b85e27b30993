"""With pytest-playwright, the plugin's ``browser_type_launch_args`` wraps pytest-playwright's.

Runs pytest in a subprocess with pytest-playwright on; starts Playwright's driver, no browser.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytest_playwright")


@pytest.fixture
def with_playwright(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\naddopts = -p no:asyncio\n")
    return pytester


def test_chromium_path_reaches_the_launch_args(with_playwright: pytest.Pytester, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    exe = tmp_path / "my-chromium"
    exe.write_text("")
    monkeypatch.setenv("CHROMIUM_PATH", str(exe))
    with_playwright.makepyfile(f"""
        def test_args(browser_type_launch_args, pytestconfig):
            assert pytestconfig.pluginmanager.hasplugin("cxkit-playwright")
            assert browser_type_launch_args["executable_path"] == {str(exe)!r}
            assert "--no-sandbox" in browser_type_launch_args["args"]
            assert browser_type_launch_args["slow_mo"] == 5      # pytest-playwright's own options stay
    """)
    with_playwright.runpytest_subprocess("--slowmo=5").assert_outcomes(passed=1)


def test_other_browsers_are_left_alone(with_playwright: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHROMIUM_PATH", "/no/such/chromium")
    with_playwright.makepyfile("""
        def test_args(browser_type_launch_args):
            assert "executable_path" not in browser_type_launch_args
    """)
    with_playwright.runpytest_subprocess("--browser=firefox").assert_outcomes(passed=1)


def test_a_missing_chromium_fails_with_what_to_do(with_playwright: pytest.Pytester,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHROMIUM_PATH", "/no/such/chromium")
    with_playwright.makepyfile("""
        def test_args(browser_type_launch_args):
            pass
    """)
    result = with_playwright.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*CHROMIUM_PATH=/no/such/chromium does not exist; unset it or fix the path*"])
