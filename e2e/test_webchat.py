"""A whole chat through the JS face against the mock GMS over HTTP, in Chromium."""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

import pytest
from e2e_support import RECORDER, command, events, wait_booted, wait_event, wait_text

from cxkit.testing.page import ChatPageOpener


def start(page, gms, **options):
    result = command(page, "WebChatService.startChat", {"nickname": "Jo", **options})
    assert result["ok"], result
    chat = gms.wait_chat()
    return chat["chatId"]


def test_whole_chat(chat_page, gms):
    page = chat_page
    chat_id = start(page, gms, firstname="Jon", lastname="Smith", email="jon@example.com",
                    subject="product", userData={"u": "3"})
    wait_event(page, "started")
    assert events(page, "started")[0]["sessionID"] == chat_id
    assert gms.chat(chat_id)["userData"]["u"] == "3"

    gms.agent(chat_id, "join", nickname="Anna")
    wait_event(page, "agentConnected")
    agents = events(page, "agentConnected")[0]
    assert agents["numAgentsConnected"] == 1
    assert [a["name"] for a in agents["agents"].values()] == ["Anna"]

    gms.agent(chat_id, "typing")
    wait_event(page, "agentTypingStarted")
    gms.agent(chat_id, "say", text="Hello!")
    wait_text(page, "Hello!")

    assert command(page, "WebChatService.sendMessage", {"message": "hi there"})["ok"]
    gms.wait_message(chat_id, type="Message", text="hi there", from_type="Client")

    # typing preview from real keystrokes
    assert command(page, "WebChatService.registerTypingPreviewInput", {"input": None})["ok"] is False
    page.evaluate("T.command('WebChatService.registerTypingPreviewInput', {input: document.getElementById('typing')})")
    page.click("#typing")
    page.keyboard.type("where is my")
    gms.wait_message(chat_id, type="TypingStarted", from_type="Client")
    gms.wait_typing_preview(chat_id, "where is my")
    gms.wait_message(chat_id, type="TypingStopped", from_type="Client", timeout=10)

    # file upload from a real file input, and download back with identical bytes
    payload = bytes(range(256)) * 40
    page.set_input_files("#upload", files=[{"name": "hello.png", "mimeType": "image/png", "buffer": payload}])
    upload = page.evaluate("""new Promise(r => T.command('WebChatService.sendFile', {files: document.getElementById('upload')})
        .done(v => r({ok: true, v})).fail(v => r({ok: false, v})))""")
    assert upload["ok"], upload
    file_id = upload["v"]["userData"]["file-id"]
    uploaded = gms.wait_message(chat_id, type="FileUploaded")
    assert uploaded["userData"]["file-name"] == "hello.png"
    with page.expect_download() as info:
        assert command(page, "WebChatService.downloadFile", {"fileId": file_id})["ok"]
    download = info.value
    assert download.suggested_filename == "hello.png"
    assert open(download.path(), "rb").read() == payload

    # an agent file arrives as a FileUploaded message with its details
    gms.agent(chat_id, "file", fileName="terms.pdf", content=base64.b64encode(b"%PDF-1").decode())
    page.wait_for_function("window.ev.some(e => e.name === 'messageReceived' && e.data.messages.some(m => m.fileDetails && m.fileDetails['file-name'] === 'terms.pdf'))")

    assert command(page, "WebChatService.sendCustomNotice", {"message": "custom!"})["ok"]
    gms.wait_message(chat_id, type="CustomNotice", text="custom!")
    assert command(page, "WebChatService.updateUserData", {"x": "2"})["ok"]
    assert gms.chat(chat_id)["userData"]["x"] == "2"

    transcript = command(page, "WebChatService.getTranscript")["value"]
    indexes = [m["index"] for m in transcript["messages"]]
    assert indexes == sorted(set(indexes)), "no duplicates, in order"
    assert any(m["text"] == "Hello!" for m in transcript["messages"])
    assert "Anna" in [a["name"] for a in command(page, "WebChatService.getAgents")["value"]["agents"].values()]
    stats = command(page, "WebChatService.getStats")["value"]
    assert stats["startTime"] <= stats["endTime"]
    assert command(page, "WebChatService.getSessionData")["value"]["sessionID"] == chat_id

    result = command(page, "WebChatService.endChat")
    assert result["ok"], result
    wait_event(page, "ended")
    assert gms.chat(chat_id)["state"] in ("ended", "disconnected")
    assert command(page, "WebChatService.verifySession")["value"] == {"sessionActive": False}


def test_reload_mid_chat_restores_without_loss_or_duplicates(chat_page, gms):
    page = chat_page
    chat_id = start(page, gms)
    gms.agent(chat_id, "join", nickname="Anna")
    gms.agent(chat_id, "say", text="one")
    wait_text(page, "one")
    assert command(page, "WebChatService.addPrefilter", {"filters": None})["ok"] is False
    page.evaluate("T.command('WebChatService.addPrefilter', {filters: /secret/})")
    gms.agent(chat_id, "say", text="a secret")
    gms.agent(chat_id, "say", text="two")
    wait_text(page, "two")

    page.reload()
    page.wait_for_function("window.ev && window.ev.some(e => e.name === 'restored')", timeout=60_000)
    wait_text(page, "two")
    restored = [m for e in events(page, "messageReceived") for m in e["messages"]]
    texts = [m["text"] for m in restored if m["type"] == "Message"]
    assert texts == ["one", "two"], "the whole transcript, once, the filtered one still hidden"
    assert all(m.get("restoring") for m in restored)

    gms.agent(chat_id, "say", text="three")
    wait_text(page, "three")
    later = [m["text"] for e in events(page, "messageReceived") for m in e["messages"] if m["type"] == "Message"]
    assert later == ["one", "two", "three"]
    assert command(page, "WebChatService.verifySession")["value"] == {"sessionActive": True}


#: Each ``pageshow`` of the page, ``true`` when it came back from the back/forward cache.
SHOWS = """addEventListener('pageshow', e => sessionStorage.setItem('shows',
    JSON.stringify(JSON.parse(sessionStorage.getItem('shows') || '[]').concat([e.persisted]))));"""


@pytest.mark.parametrize("thread", ["worker", "main"])
def test_back_from_another_page_the_chat_goes_on_from_the_back_forward_cache(
        browser_type, browser_type_launch_args, server_url, gms, thread):
    """Back after following a link: Chromium keeps the page in its back/forward cache (Playwright
    turns the cache off: this browser has it), the widget stays eligible (no ``unload`` listener,
    nothing that keeps it out) and comes back running, with what the agent said meanwhile, once,
    and no restore."""
    args = dict(browser_type_launch_args)
    args["ignore_default_args"] = ["--disable-back-forward-cache"]
    browser = browser_type.launch(**args)
    try:
        opener = ChatPageOpener(browser.new_page(), server_url)
        page = opener.open(init_script=SHOWS + "window.cxkitTestConfig = w => { w.cxkit = {thread: '%s'}; };" % thread)
        chat_id = start(page, gms)
        gms.agent(chat_id, "join", nickname="Anna")
        gms.agent(chat_id, "say", text="one")
        wait_text(page, "one")

        page.goto(f"{server_url}/mock/chats/{chat_id}")
        gms.agent(chat_id, "say", text="while away")
        page.go_back(wait_until="commit")  # a page from the cache has no load event
        page.wait_for_function("JSON.parse(sessionStorage.getItem('shows') || '[]').length === 3")
        # loaded, the other page (the init script runs there too), back from the cache
        assert page.evaluate("sessionStorage.getItem('shows')") == "[false,false,true]"
        wait_text(page, "while away")
        assert command(page, "WebChatService.sendMessage", {"message": "back again"})["ok"]
        gms.wait_message(chat_id, type="Message", text="back again", from_type="Client")
        gms.agent(chat_id, "say", text="two")
        wait_text(page, "two")
        texts = [m["text"] for e in events(page, "messageReceived") for m in e["messages"]
                 if m["type"] == "Message" and m["from"]["type"] == "Agent"]
        assert texts == ["one", "while away", "two"]
        assert "restored" not in [e["name"] for e in page.evaluate("window.cxkitTest.events")]
    finally:
        browser.close()


#: The e2e page is /cxkit/e2e.html: these resolve against it to the mock's paths, while against the
#: worker's script (/cxkit/modules/<hash>/worker.mjs) they would name paths under /cxkit/modules/.
RELATIVE_URLS = {
    "polling": {"dataURL": "../genesys/2/chat/customer-support"},
    "cometd": {"dataURL": "../genesys/2/chat/customer-support",
               "cometD": {"enabled": True, "cometURL": "../genesys/cometd", "apiURL": "../genesys/2/chat-ntf",
                          "channel": "/service/chatV2/customer-support"}},
}


#: Records the URL each ``new WebSocket(url)`` on the page is given.
RECORD_SOCKET_URLS = """
    window.socketUrls = [];
    window.WebSocket = new Proxy(window.WebSocket, {construct(Socket, args) {
        window.socketUrls.push(String(args[0]));
        return new Socket(...args);
    }});
"""


@pytest.mark.parametrize("transport", ["polling", "cometd"])
@pytest.mark.parametrize("thread", ["worker", "main"])
def test_relative_urls_in_the_config_are_the_pages(open_chat_page, gms, thread, transport):
    """The original's requests resolve a relative ``dataURL`` (a GMS proxied under the site's own
    domain) against the page; in worker mode fetch and WebSocket resolved it against the worker's
    script instead, and the chat never started. Every request and socket now uses the page's base
    URL, over polling and over CometD's WebSocket, in both modes. On the page's own thread the
    socket gets an absolute URL too: browsers before Chrome 125, Firefox 124 and Safari 17.3 refuse
    a relative one (CometD would long-poll)."""
    seen: list[str] = []
    choose = "window.cxkitTestConfig = w => { w.cxkit = {thread: '%s'}; };" % thread
    page = open_chat_page(config={"webchat": RELATIVE_URLS[transport]}, init_script=choose + RECORD_SOCKET_URLS)
    page.on("request", lambda r: seen.append(r.url) if "/genesys/" in r.url else None)
    page.on("websocket", lambda ws: seen.append(ws.url))
    chat_id = start(page, gms)
    gms.agent(chat_id, "join", nickname="Anna")
    gms.agent(chat_id, "say", text="relative")
    wait_text(page, "relative")
    assert seen and not [url for url in seen if "/cxkit/" in url], seen
    if transport == "cometd":
        counts = gms.http.get("/mock/cometd").json()["transports"]
        assert counts["handshakes"]["websocket"] == 1 and counts["socketsOpened"] == 1, counts
    given = page.evaluate("window.socketUrls")  # the page's own WebSocket: main-thread mode only
    assert given == ([f"ws://{urlsplit(page.url).netloc}/genesys/cometd"] if (thread, transport) == ("main", "cometd") else []), given


@pytest.mark.parametrize("thread", ["worker", "main"])
def test_requests_to_gms_carry_the_page_as_their_referer(open_chat_page, gms, thread):
    """observed-client.md (b): the original's requests carry the page's URL as Referer; the worker's
    carried its script's URL (/cxkit/modules/<hash>/worker.mjs)."""
    referers: set[str | None] = set()
    choose = "window.cxkitTestConfig = w => { w.cxkit = {thread: '%s'}; };" % thread
    page = open_chat_page(init_script=choose)
    page.on("request", lambda r: referers.add(r.headers.get("referer")) if "/genesys/2/chat/" in r.url else None)
    chat_id = start(page, gms)
    assert command(page, "WebChatService.sendMessage", {"message": "who sent me"})["ok"]
    gms.wait_message(chat_id, type="Message", text="who sent me", from_type="Client")
    assert referers == {page.url}, referers


@pytest.mark.parametrize("policy, expected", [("no-referrer", None), ("Origin", "origin")])
@pytest.mark.parametrize("thread", ["worker", "main"])
def test_a_pages_meta_referrer_policy_holds_for_the_requests_to_gms(open_chat_page, gms, thread, policy, expected):
    """A page that keeps its URL to itself (``<meta name="referrer" content="no-referrer">``): its
    own requests carry no Referer, and neither do the widget's. The worker has only the policy of
    its script's response, so it sent the page's whole URL; the page's policy now goes with it."""
    referers: set[str | None] = set()
    page = open_chat_page(init_script="""
        window.cxkitTestConfig = w => {  // before widgets.js runs, as the page's own <meta> is
          w.cxkit = {thread: '%s'};
          const meta = document.createElement('meta');
          meta.name = 'referrer'; meta.content = '%s';
          document.head.append(meta);
        };""" % (thread, policy))
    page.on("request", lambda r: referers.add(r.headers.get("referer")) if "/genesys/2/chat/" in r.url else None)
    chat_id = start(page, gms)
    assert command(page, "WebChatService.sendMessage", {"message": "who sent me"})["ok"]
    gms.wait_message(chat_id, type="Message", text="who sent me", from_type="Client")
    origin = "{0.scheme}://{0.netloc}/".format(urlsplit(page.url))
    if expected == "origin":
        assert referers == {origin}, referers
    else:  # no Referer: Playwright shows it as a missing header or an empty one, run to run
        assert referers and referers <= {None, ""}, referers


@pytest.mark.parametrize("thread", ["worker", "main"])
def test_a_single_page_app_that_moved_reports_where_it_is_now(open_chat_page, gms, thread):
    """A single-page app changes its URL (pushState) and title after the widget booted, then the
    visitor starts a chat: startChat's ``_genesys_url`` and ``_genesys_pageTitle`` and every
    request's Referer are the page's as it is then, as the original reads them when it sends (both
    modes had the page as it was at boot)."""
    referers: set[str | None] = set()
    choose = "window.cxkitTestConfig = w => { w.cxkit = {thread: '%s'}; };" % thread
    page = open_chat_page(init_script=choose)
    page.on("request", lambda r: referers.add(r.headers.get("referer")) if "/genesys/2/chat/" in r.url else None)
    page.evaluate("history.pushState({}, '', '/cxkit/e2e.html?step=checkout'); document.title = 'Checkout'")
    chat_id = start(page, gms)
    user_data = gms.chat(chat_id)["userData"]
    now = page.url
    assert now.endswith("/cxkit/e2e.html?step=checkout")
    assert (user_data["_genesys_url"], user_data["_genesys_pageTitle"]) == (now, "Checkout")
    assert command(page, "WebChatService.sendMessage", {"message": "from checkout"})["ok"]
    gms.wait_message(chat_id, type="Message", text="from checkout", from_type="Client")
    assert referers == {now}, referers


def test_server_errors_and_offline_streak_lose_nothing(chat_page, gms):
    page = chat_page
    chat_id = start(page, gms)
    gms.agent(chat_id, "join", nickname="Anna")
    wait_event(page, "agentConnected")

    gms.fault("refresh", "status1", count=7)
    gms.agent(chat_id, "say", text="during the outage")
    wait_event(page, "chatServerWentOffline", timeout=30_000)
    wait_event(page, "chatServerBackOnline", timeout=30_000)
    wait_text(page, "during the outage", timeout=30_000)

    gms.fault("refresh", "drop", count=2)
    gms.agent(chat_id, "say", text="after a dropped connection")
    wait_event(page, "disconnected", timeout=30_000)
    wait_event(page, "reconnected", timeout=30_000)
    wait_text(page, "after a dropped connection", timeout=30_000)

    gms.fault("send", "http500", count=1)
    failed = command(page, "WebChatService.sendMessage", {"message": "lost?"})
    assert failed["ok"] is False
    assert command(page, "WebChatService.sendMessage", {"message": "resent"})["ok"]
    gms.wait_message(chat_id, type="Message", text="resent")

    texts = [m["text"] for e in events(page, "messageReceived") for m in e["messages"] if m["type"] == "Message"]
    for text in ("during the outage", "after a dropped connection"):
        assert texts.count(text) == 1


def test_rejection_strings_through_the_js_face(chat_page, gms):
    page = chat_page
    assert command(page, "WebChatService.sendMessage", {"message": "x"}) == {
        "ok": False, "value": "There is no active chat session"}
    assert command(page, "WebChatService.endChat")["value"] == "There is no active chat session"
    # where the commands page and the observed client differ, the commands page wins
    # (the list is in pysrc/cxkit/webchat/COMPAT.md)
    assert command(page, "WebChatService.stopPoll")["value"] == "No active chat session"
    assert command(page, "WebChatService.poll")["value"] == (
        "Access Denied to private command. Only WebChatService is allowed to invoke this command.")
    assert command(page, "WebChatService.fetchHistory")["value"] == (
        "Fetching history messages applies only to Asynchronous chat")
    assert command(page, "WebChatService.addPrefilter", {"filters": "notaregex"})["value"] == (
        "Missing or invalid filters provided. Please provide a regular expression or an array of regular expressions.")
    bad_input = page.evaluate("""new Promise(r => window.cxkitTest.plugin.command("WebChatService.registerTypingPreviewInput",
        {input: document.getElementById('checkbox')}).fail(r))""")
    assert bad_input == ("Invalid value provided for the 'input' property. An HTML element reference to a "
                         "textarea or text input is required.")
    assert command(page, "WebChatService.getTranscript", "str")["value"] == "Command was cancelled by a 'before' function."
    # no session check (observed-client.md (c)): GMS's refusal of the empty chat resolves, as the original's
    notice = command(page, "WebChatService.sendCustomNotice", {"message": "n"})
    assert notice["ok"] and notice["value"]["statusCode"] == 2, notice
    limits = command(page, "WebChatService.getFileLimits")
    assert limits["ok"] and '"statusCode":2' in limits["value"], limits
    start(page, gms)
    assert command(page, "WebChatService.startChat", {"nickname": "Jo"})["value"] == (
        "There is already an active chat session")
    assert command(page, "WebChatService.sendMessage", {"message": ""})["value"] == "No message text provided"
    assert command(page, "WebChatService.stopPoll")["ok"] is True
    assert command(page, "WebChatService.stopPoll")["value"] == "Not currently polling. Ignoring command."


def test_hidden_page_sleeps_and_wakes_when_sleep_is_enabled(page, server_url, gms):
    page.add_init_script("window.cxkitTestConfig = w => { w.webchat.sleepEnabled = true; };" + RECORDER)
    page.goto(f"{server_url}/cxkit/e2e.html")
    wait_booted(page)
    start(page, gms)
    wait_event(page, "pollingStarted")
    assert page.evaluate("CXBus.data('App.pageHidden')") is False
    page.evaluate("""Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});
                     document.dispatchEvent(new Event('visibilitychange'))""")
    wait_event(page, "sleeping")
    page.evaluate("""Object.defineProperty(document, 'hidden', {configurable: true, get: () => false});
                     document.dispatchEvent(new Event('visibilitychange'))""")
    wait_event(page, "waking")


@pytest.mark.parametrize("thread", ["worker", "main"])
def test_the_app_keeps_page_focus_as_the_original(page, server_url, thread):
    """spec A.7: the App keeps ``App.data('pageFocus')`` (with ``pageHidden``); it was never set.
    True or false as the page has the focus at boot, then as the window gets focus and loses it."""
    page.add_init_script("window.cxkitTestConfig = w => { w.cxkit = {boot: 'now', thread: '%s'}; };" % thread)
    page.goto(f"{server_url}/cxkit/e2e.html")
    wait_booted(page)
    page.wait_for_function("() => CXBus.data('App.pageFocus') === document.hasFocus()")
    page.evaluate("window.dispatchEvent(new FocusEvent('blur'))")
    page.wait_for_function("() => CXBus.data('App.pageFocus') === false")
    page.evaluate("window.dispatchEvent(new FocusEvent('focus'))")
    page.wait_for_function("() => CXBus.data('App.pageFocus') === true")


def test_js_values_page_code_passes_regexps_functions_and_jquery_wrapped_elements(chat_page, gms):
    """What original page code hands the service: JS RegExps, a JS pre-processor that edits
    the raw message in place, and jQuery-wrapped inputs (jQuery objects carry .jquery on their
    prototype and the element at [0]; plain look-alikes work too)."""
    page = chat_page
    page.evaluate("""window.$wrap = el => {
        function JQ(e) { this[0] = e; this.length = 1; }
        JQ.prototype.jquery = '3.6.4';
        return new JQ(el);
    }; window.$plain = el => ({jquery: '3.6.4', length: 1, 0: el});""")
    chat_id = start(page, gms)
    gms.agent(chat_id, "join", nickname="Anna")

    processed = page.evaluate("""new Promise(r => T.command('WebChatService.registerPreProcessor', {
        preprocessor: m => { if (m.type === 'Message' && m.text) m.text = m.text.toUpperCase(); }
    }).done(() => r(true)).fail(r))""")
    assert processed is True
    gms.agent(chat_id, "say", text="shout this")
    wait_text(page, "SHOUT THIS")

    hidden = page.evaluate("""new Promise(r => T.command('WebChatService.sendFilteredMessage',
        {message: 'card 4111-1111', regex: /\\d{4}-\\d{4}/}).done(() => r(true)).fail(r))""")
    assert hidden is True
    gms.wait_message(chat_id, type="Message", text="card 4111-1111", from_type="Client")
    gms.agent(chat_id, "say", text="visible")
    wait_text(page, "VISIBLE")
    texts = [m["text"] for e in events(page, "messageReceived") for m in e["messages"]]
    assert not any("4111" in (t or "") for t in texts), "the sender does not see the filtered text"

    assert page.evaluate("""new Promise(r => window.cxkitTest.plugin.command("WebChatService.registerTypingPreviewInput",
        {input: $wrap(document.getElementById('typing'))}).done(() => r(true)).fail(r))""") is True
    page.click("#typing")
    page.keyboard.type("wrapped")
    gms.wait_message(chat_id, type="TypingStarted", from_type="Client")

    page.set_input_files("#upload", files=[{"name": "w.png", "mimeType": "image/png", "buffer": b"jq"}])
    upload = page.evaluate("""new Promise(r => T.command('WebChatService.sendFile', {files: $plain(document.getElementById('upload'))})
        .done(v => r({ok: true, v})).fail(v => r({ok: false, v})))""")
    assert upload["ok"], upload
    assert gms.wait_message(chat_id, type="FileUploaded")["userData"]["file-name"] == "w.png"


@pytest.mark.parametrize("thread", ["worker", "main"])
def test_a_function_in_user_data_sends_its_value(open_chat_page, gms, thread):
    """jQuery.param, the original's form encoder, sends what a function returns. A function in
    the configured userData stopped the service from starting (it could not be copied), in both
    modes; one given to updateUserData broke every later userData command."""
    page = open_chat_page(init_script="""
        window.cxkitTestConfig = w => {
          w.cxkit = {thread: '%s'};
          w.webchat.userData = {cart: () => '42.50', step: () => 'checkout'};
        };""" % thread)
    chat_id = start(page, gms)
    assert {k: gms.chat(chat_id)["userData"].get(k) for k in ("cart", "step")} == {
        "cart": "42.50", "step": "checkout"}, gms.chat(chat_id)["userData"]
    updated = page.evaluate("""() => new Promise(r => window.cxkitTest.plugin.command(
        'WebChatService.updateUserData', {total: () => 7}).done(() => r('resolved')).fail(r))""")
    assert updated == "resolved" and gms.chat(chat_id)["userData"].get("total") == "7"
    # an object or an array it returns goes as JS's String() of it, as jQuery.param sends it
    page.evaluate("""() => new Promise(r => window.cxkitTest.plugin.command('WebChatService.updateUserData',
        {box: () => ({a: 1}), tags: () => ['x', 'y']}).always(r))""")
    sent = gms.wait_request("updateData", chat_id=chat_id, **{"userData[tags]": "x,y"})
    assert sent["form"]["userData[box]"] == "[object Object]", sent["form"]


@pytest.mark.parametrize("thread", ["worker", "main"])
def test_a_config_value_out_of_range_is_named_in_a_console_warning(open_chat_page, thread):
    """README: a value of the wrong type or out of range is replaced by its default, with a
    console warning naming the key and the range (from the worker too)."""
    warnings: list[str] = []
    choose = "window.cxkitTestConfig = w => { w.cxkit = {thread: '%s'}; w.webchat.pollRate = 50; };" % thread
    page = open_chat_page.page
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    open_chat_page(config={"webchat": {"ajaxTimeout": "soon"}}, init_script=choose)
    named = [w for w in warnings if "webchat.ajaxTimeout" in w or "webchat.pollRate" in w]
    assert len(named) == 2 and all("expected a number" in w and "default" in w for w in named), warnings


@pytest.mark.parametrize("thread", ["worker", "main"])
def test_a_user_data_function_whose_promise_is_rejected_sends_it_empty(open_chat_page, gms, thread):
    """A userData function that answers later may fail: its value is sent empty (logged), and the
    chat starts. A Promise rejected with what is not an Error left startChat pending for ever on
    the page's own thread (Pyodide's future of it never settles)."""
    page = open_chat_page(init_script="""
        window.cxkitTestConfig = w => {
          w.cxkit = {thread: '%s'};
          w.webchat.userData = {step: () => Promise.resolve('checkout')};
        };""" % thread)
    # startChat's own userData, through a page's before on startChat (as pages add userData)
    started = page.evaluate("""() => new Promise(r => {
        CXBus.registerPlugin('AddsData').before('WebChatService.startChat', o => o);
        window.cxkitTest.plugin.command('WebChatService.startChat', {nickname: 'Jo', userData: {cart: () => Promise.reject('no cart')}})
          .done(() => r('resolved')).fail(() => r('rejected'));
    })""")
    assert started == "resolved"
    chat_id = gms.wait_chat()["chatId"]
    assert {k: gms.chat(chat_id)["userData"].get(k) for k in ("cart", "step")} == {"cart": "", "step": "checkout"}


@pytest.mark.parametrize("thread", ["worker", "main"])
def test_a_sites_referrer_policy_header_holds_for_the_requests_to_gms(page, server_url, gms, thread):
    """threads.md: without a <meta name="referrer">, the site's Referrer-Policy header holds: the
    worker script the site serves gets it too, so the worker's requests send no Referer either."""
    def no_referrer(route):
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "referrer-policy": "no-referrer"})

    page.route(f"{server_url}/cxkit/e2e.html", no_referrer)
    page.route("**/worker.mjs", no_referrer)
    referers: set[str | None] = set()
    page.on("request", lambda r: referers.add(r.headers.get("referer")) if "/genesys/2/chat/" in r.url else None)
    page.add_init_script("window.cxkitTestConfig = w => { w.cxkit = {thread: '%s'}; };" % thread + RECORDER)
    page.goto(f"{server_url}/cxkit/e2e.html")
    wait_booted(page)
    wait_event(page, "ready")
    assert page.evaluate("window.__cxkit.thread") == thread
    chat_id = start(page, gms)
    assert command(page, "WebChatService.sendMessage", {"message": "who sent me"})["ok"]
    gms.wait_message(chat_id, type="Message", text="who sent me", from_type="Client")
    assert referers and referers <= {None, ""}, referers  # no Referer: missing or empty, run to run


@pytest.mark.parametrize("transport", ["polling", "cometd"])
@pytest.mark.parametrize("thread", ["worker", "main"])
def test_a_typing_input_emptied_by_page_code_sends_its_text_as_it_is_now(open_chat_page, gms, thread, transport):
    """spec B.3: the registered input's value rides on every refresh as ``message``, read when the
    request goes. A chat UI's send button sends the text and empties the box in code
    (``el.value = ''``), which fires no input event: in worker mode every later poll still sent the
    old draft (the agent kept seeing it). The worker now asks the page for the input's value before
    it sends it: each refresh, a ``sendTyping`` without a message, and CometD's typing check."""
    choose = "window.cxkitTestConfig = w => { w.cxkit = {thread: '%s'}; };" % thread
    config = {"webchat": RELATIVE_URLS["cometd"]} if transport == "cometd" else None
    page = open_chat_page(config=config, init_script=choose)
    chat_id = start(page, gms)
    assert page.evaluate("""() => new Promise(r => window.cxkitTest.plugin.command("WebChatService.registerTypingPreviewInput",
        {input: document.getElementById("typing")}).done(() => r(true)).fail(r))""") is True
    page.click("#typing")
    page.keyboard.type("my secret draft")
    gms.wait_message(chat_id, type="TypingStarted", from_type="Client")
    seen = gms.requests()[-1]["seq"]
    page.evaluate("""() => { const el = document.getElementById('typing');
        window.cxkitTest.plugin.command('WebChatService.sendMessage', {message: el.value}); el.value = ''; }""")
    gms.wait_message(chat_id, type="Message", text="my secret draft", from_type="Client")
    if transport == "polling":
        gms.wait_request("refresh", chat_id=chat_id, after=seen, message="")
    page.evaluate("document.getElementById('typing').value = 'edited in code'")
    assert command(page, "WebChatService.sendTyping")["ok"]  # no message given: the input's text
    last = gms.wait_request("startTyping", chat_id=chat_id, after=seen, message="edited in code")
    page.evaluate("document.getElementById('typing').value = ''")
    if transport == "polling":
        gms.wait_request("refresh", chat_id=chat_id, after=last["seq"], message="")
    else:  # CometD's check (every 5 s) sees the text changed: startTyping again, with the box's text
        gms.wait_request("startTyping", chat_id=chat_id, after=last["seq"], message="", timeout=15)
