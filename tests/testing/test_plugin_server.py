"""The session server: one per session, a reset per test, the user's pages, CORS, bundle errors."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest


def test_one_server_per_session_and_a_clean_mock_per_test(suite: pytest.Pytester) -> None:
    suite.makepyfile("""
        import httpx

        seen = []

        def test_first(cxkit_server, cxkit_url, gms):
            seen.append(cxkit_server)
            httpx.post(cxkit_url + "/genesys/2/chat/customer-support", data={"nickname": "Jo"})
            chat_id = gms.wait_chat()["chatId"]
            gms.fault("refresh", "http500", count=-1)
            assert [c["chatId"] for c in gms.chats()] == [chat_id]

        def test_second(cxkit_server, cxkit_url, gms):
            assert seen == [cxkit_server]      # the same server
            assert gms.chats() == [] and gms.faults() == [] and gms.requests() == []
            assert httpx.get(cxkit_url + "/cxkit/e2e.html").text == "<p>bundled test page</p>"
    """)
    suite.runpytest().assert_outcomes(passed=2)


def test_cxkit_mock_is_the_in_process_mock(suite: pytest.Pytester) -> None:
    suite.makepyfile("""
        import httpx

        def test_python_api(cxkit_mock, cxkit_url):
            started = httpx.post(cxkit_url + "/genesys/2/chat/svc", data={"nickname": "Jo"}).json()
            cxkit_mock.agent(started["chatId"], "join", nickname="Anna")
            joined = cxkit_mock.wait_messages_blocking(started["chatId"], type="ParticipantJoined")
            assert [m["from"]["nickname"] for m in joined] == ["Jo", "Anna"]
    """)
    suite.runpytest().assert_outcomes(passed=1)


def test_static_folder_is_served_at_site_beside_the_mock(suite: pytest.Pytester) -> None:
    site = suite.mkdir("site")
    (site / "index.html").write_text("<h1>my shop</h1>")
    port = _free_port()
    suite.makepyfile(f"""
        import httpx

        def test_site(cxkit_url):
            assert cxkit_url == "http://127.0.0.1:{port}"
            assert httpx.get(cxkit_url + "/site/").text == "<h1>my shop</h1>"
            assert httpx.get(cxkit_url + "/site/index.html").text == "<h1>my shop</h1>"
            assert httpx.get(cxkit_url + "/mock/chats").json() == {{"chats": []}}
            assert httpx.get(cxkit_url + "/cxkit/widgets.js").text == "/* loader */"
    """)
    suite.runpytest(f"--cxkit-static={site}", f"--cxkit-port={port}").assert_outcomes(passed=1)


def test_cors_origin_lets_a_page_on_another_origin_call_the_mock(suite: pytest.Pytester) -> None:
    suite.makepyfile("""
        import httpx

        def call(url, origin):
            return httpx.post(url + "/genesys/2/chat/customer-support", data={"nickname": "Jo"},
                              headers={"Origin": origin})

        def test_cors(cxkit_url):
            allowed = call(cxkit_url, "https://shop.test")
            assert allowed.status_code == 200
            assert allowed.headers["access-control-allow-origin"] == "https://shop.test"
            assert call(cxkit_url, "https://evil.test").status_code == 403
            assert call(cxkit_url, "http://localhost:3000").status_code == 200  # local: always
    """)
    suite.runpytest("--cxkit-cors-origin=https://shop.test").assert_outcomes(passed=1)


def test_given_bundle_is_served_as_it_is(pytester: pytest.Pytester, fake_bundle: Path) -> None:
    pytester.makepyfile(f"""
        import httpx
        from pathlib import Path

        def test_bundle(cxkit_bundle_dir, cxkit_url):
            assert cxkit_bundle_dir == Path({str(fake_bundle)!r})
            assert httpx.get(cxkit_url + "/cxkit/widgets.js").text == "/* loader */"
    """)
    pytester.runpytest(f"--cxkit-bundle={fake_bundle}").assert_outcomes(passed=1)


def test_a_folder_without_a_bundle_fails_the_tests_that_need_it(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile("""
        def test_needs_server(cxkit_url):
            pass

        def test_does_not():
            pass
    """)
    result = pytester.runpytest(f"--cxkit-bundle={tmp_path}")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([f"*cxkit bundle: --cxkit-bundle {tmp_path}: no widgets.js there*cxkit build*"])


def test_page_fixtures_say_they_need_pytest_playwright(suite: pytest.Pytester) -> None:
    suite.makepyfile("""
        def test_page(chat_page):
            pass

        def test_guard(offline_guard):
            pass
    """)
    result = suite.runpytest()  # the inner runs go without pytest-playwright (see conftest.py)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*cxkit's page fixtures need pytest-playwright (no 'page' fixture)*",
                                 "*cxkit's page fixtures need pytest-playwright (no 'context' fixture)*"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
