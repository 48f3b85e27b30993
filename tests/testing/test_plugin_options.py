"""The plugin's options: shown in their group, checked early, and fed into the ``*_args`` fixtures."""

from __future__ import annotations

import pytest

OPTIONS = ("--cxkit-port", "--cxkit-bundle", "--cxkit-agent", "--cxkit-static", "--cxkit-cors-origin")


def test_options_are_listed_in_their_own_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    out = result.stdout.str()
    group = out[out.index("cxkit: mock GMS, widget bundle and chat pages:"):]
    for option in OPTIONS:
        assert option in group


@pytest.mark.parametrize("args, message", [
    (["--cxkit-agent", "chatty"], "--cxkit-agent: unknown agent preset 'chatty'"),
    (["--cxkit-agent", "script:/no/such/script.yaml"], "--cxkit-agent:"),
    (["--cxkit-static", "/no/such/folder"], "--cxkit-static /no/such/folder: not a directory"),
    (["--cxkit-bundle", "/no/such/folder"], "--cxkit-bundle /no/such/folder: not a directory"),
    (["--cxkit-cors-origin", "*"], "expected scheme://host[:port]"),
    (["--cxkit-cors-origin", "https://shop.test/path"], "expected scheme://host[:port]"),
])
def test_bad_options_are_usage_errors(pytester: pytest.Pytester, args: list[str], message: str) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest("=".join(args))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


def test_defaults_feed_the_args_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        def test_defaults(cxkit_server_args, cxkit_mock_args, cxkit_chat_page_args):
            assert cxkit_server_args == {"host": "127.0.0.1", "port": 0, "isolate": False, "extra_static": {}}
            assert cxkit_mock_args == {"agent": "silent", "cors_allow_origins": ()}
            assert cxkit_chat_page_args == {"path": "/cxkit/e2e.html", "timeout": 60000, "config": {}}
    """)
    pytester.runpytest().assert_outcomes(passed=1)


def test_options_feed_the_args_fixtures(pytester: pytest.Pytester) -> None:
    site = pytester.mkdir("site")
    pytester.makepyfile(f"""
        from pathlib import Path

        def test_options(cxkit_server_args, cxkit_mock_args):
            assert cxkit_server_args["port"] == 8765
            assert cxkit_server_args["extra_static"] == {{"/site": Path({str(site)!r})}}
            assert cxkit_mock_args == {{"agent": "echo",
                                        "cors_allow_origins": ("https://shop.test", "http://b.test:81")}}
    """)
    result = pytester.runpytest(
        "--cxkit-port=8765", f"--cxkit-static={site}", "--cxkit-agent=echo",
        "--cxkit-cors-origin=https://shop.test/", "--cxkit-cors-origin=http://b.test:81",
    )
    result.assert_outcomes(passed=1)


def test_args_fixtures_are_overridden_in_conftest(suite: pytest.Pytester) -> None:
    suite.makeconftest(suite.path.joinpath("conftest.py").read_text() + '''

@pytest.fixture(scope="session")
def cxkit_mock_args(cxkit_mock_args):
    return {**cxkit_mock_args, "agent": "echo", "echo_join_delay": 0, "agent_nickname": "Bo"}

@pytest.fixture(scope="session")
def cxkit_server_args(cxkit_server_args):
    return {**cxkit_server_args, "isolate": True}

@pytest.fixture
def cxkit_chat_page_args(cxkit_chat_page_args):
    return {**cxkit_chat_page_args, "path": "/site/index.html"}
''')
    suite.makepyfile("""
        import httpx

        def test_overrides(gms, cxkit_url, cxkit_chat_page_args):
            config = gms.config()
            assert (config["agent"], config["echo_join_delay"], config["agent_nickname"]) == ("echo", 0, "Bo")
            page = httpx.get(cxkit_url + "/cxkit/e2e.html")
            assert page.headers["cross-origin-embedder-policy"] == "require-corp"
            assert cxkit_chat_page_args["path"] == "/site/index.html"

        def test_the_echo_agent_answers(gms, cxkit_url):
            chat = httpx.post(cxkit_url + "/genesys/2/chat/customer-support", data={"nickname": "Jo"}).json()
            gms.wait_message(chat["chatId"], type="ParticipantJoined", from_type="Agent")
    """)
    suite.runpytest().assert_outcomes(passed=2)
