"""How to test your own page against the mock GMS.

Your page includes ``widgets.js`` and sets ``window._genesys.widgets`` as in production;
``open_chat_page(url)`` points its ``webchat.dataURL`` at the mock (keeping your service
name), waits for ``WebChatService.ready`` and hands you the Playwright page.

1. Same origin: serve your folder beside the bundle and the mock,
   ``pytest --cxkit-static path/to/site`` (pages at ``/site/...``), or in ``conftest.py``::

       @pytest.fixture(scope="session")
       def cxkit_server_args(cxkit_server_args):
           return {**cxkit_server_args, "extra_static": {"/site": Path("site")}}

   (this folder's ``conftest.py`` does the latter for ``site/``).
2. Your own origin (your dev server): open its URL. The mock answers pages from local
   origins (localhost, 127.0.0.1, any port); allow others with ``--cxkit-cors-origin``.
"""

from pathlib import Path

from cxkit.server import create_app, run_in_thread

SITE = Path(__file__).parent / "site"


def test_your_page_on_the_session_server(open_chat_page, gms):
    shop = open_chat_page("/site/index.html")

    shop.fill("#name", "Jo")
    shop.click("#start button")
    chat = gms.wait_chat()
    assert chat["serviceName"] == "shop-support"  # the page's own service, on the mock
    assert gms.chat(chat["chatId"])["userData"]["page"] == "shop"

    gms.join(chat["chatId"], nickname="Anna")
    gms.say(chat["chatId"], "Hi Jo! <b>not bold</b>")
    shop.get_by_text("Anna: Hi Jo! <b>not bold</b>").wait_for()  # rendered as text

    shop.fill("#text", "where is my order?")
    shop.click("#send button")
    gms.wait_message(chat["chatId"], type="Message", text="where is my order?", from_type="Client")


def test_your_page_on_its_own_origin(open_chat_page, cxkit_bundle_dir, gms):
    # your dev server: it hosts your pages and its own copy of widgets.js, on another origin
    own_server = create_app(cxkit_bundle_dir, extra_static={"/site": SITE})
    with run_in_thread(own_server) as own_url:
        own_origin = own_url.replace("127.0.0.1", "localhost")
        shop = open_chat_page(f"{own_origin}/site/index.html")
        assert shop.evaluate("location.origin") == own_origin

        shop.fill("#name", "Jo")
        shop.click("#start button")
        chat_id = gms.wait_chat()["chatId"]  # the page called the mock across origins
        gms.join(chat_id)
        gms.say(chat_id, "Hello from the mock")
        shop.get_by_text("Anna: Hello from the mock").wait_for()


def test_without_the_mock_your_page_calls_its_real_gms_and_the_guard_stops_it(open_chat_page, offline_guard):
    shop = open_chat_page("/site/index.html", mock=False)  # dataURL stays https://gms.acme.example/...
    left = offline_guard.expect()  # this test leaves the machine on purpose; the guard records it
    shop.fill("#name", "Jo")
    shop.click("#start button")
    shop.get_by_text("could not start").wait_for()
    assert left and all(url.startswith("https://gms.acme.example/genesys/2/chat/shop-support") for url in left)
