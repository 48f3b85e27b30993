"""The remaining commands, row by row of the commands page: typing, user data, notices,
filters, pre-processors, transcript/agents/stats, history, configure."""

import asyncio
import json
import logging
import re

import pytest
from webchat_harness import BASE, Page, mock_gms, settle
from webchat_vclock import virtual_time

from cxkit.bus import Bus, CommandRejected
from cxkit.webchat import MemoryStorage, MemoryTextInput, Ports, webchat_plugin_factory
from cxkit.webchat import messages as msg
from cxkit.webchat.filters import Prefilters
from cxkit.webchat.service import READ_INPUT_S
from cxkit.webchat.typing_indicator import ClientTyping


@virtual_time
async def test_send_typing_starts_once_and_stops_2s_after_the_last_call():
    page = Page(mock_gms()).boot()
    assert await page.reject("sendTyping", {"message": "x"}) == msg.NO_ACTIVE_SESSION
    await page.start()
    mark = page.mark()
    loop = asyncio.get_running_loop()
    body = await page.cmd("sendTyping", {"message": "ty"})
    assert body["statusCode"] == 0
    start = page.transport.of("startTyping")[0]
    assert start["fields"][3:] == [("transcriptPosition", "2"), ("message", "ty")]
    await asyncio.sleep(1.5)
    await page.cmd("sendTyping", {"message": "typ"})
    assert len(page.transport.of("startTyping")) == 1
    t0 = loop.time()
    await page.wait_for(lambda: page.transport.of("stopTyping"), step=0.01)
    stop = page.transport.of("stopTyping")[0]
    assert round(stop["time"] - t0, 2) == 2.0
    assert stop["fields"][4] == ("message", "typ")
    await page.wait_for(lambda: 3 in page.delivered_indexes())
    names = page.names(mark)
    assert names.index("clientTypingStarted") < names.index("clientTypingStopped")
    echoed = [m for d in page.of("messageReceived") for m in d["messages"] if m["index"] == 2][0]
    assert echoed["type"] == "TypingStarted" and echoed["isTyping"] is True


@virtual_time
async def test_send_typing_is_typing_false_stops_now():
    page = Page(mock_gms()).boot()
    await page.start()
    await page.cmd("sendTyping", {"message": "a"})
    body = await page.cmd("sendTyping", {"isTyping": False})
    assert body["statusCode"] == 0 and len(page.transport.of("stopTyping")) == 1
    assert page.of("clientTypingStopped") == [{}]


@virtual_time
async def test_send_typing_during_an_in_flight_start_gets_that_start_s_answer():
    gms = mock_gms()
    page = Page(gms).boot()
    await page.start()
    gms.fault("startTyping", "http500")
    assert (await page.reject("sendTyping", {"message": "a"}))["status"] == 500
    await page.cmd("sendMessage", {"message": "hi"})  # ends that typing burst
    assert len(page.of("error")) == 1
    gms.fault("startTyping", "delay", delay_ms=1000)
    results = []
    for text in ("b", "bc"):
        page.deferred("sendTyping", {"message": text}).done(
            lambda body: results.append(body["statusCode"])).fail(results.append)
        await settle()
    await page.wait_for(lambda: len(results) == 2)
    assert results == [0, 0]  # not the failure of the earlier burst
    assert len(page.of("error")) == 1
    assert len(page.transport.of("startTyping")) == 2


@virtual_time
async def test_a_failing_automatic_stop_typing_is_logged(caplog):
    async def start(text):
        return None

    async def stop(text):
        raise RuntimeError("stop failed")

    typing = ClientTyping(start, stop, lambda typing: None)
    await typing.touch("a")
    await asyncio.sleep(2.1)
    (record,) = [r for r in caplog.records if r.name == "cxkit.webchat"]
    assert record.getMessage() == "WebChatService task failed"
    assert str(record.exc_info[1]) == "stop failed"
    assert not typing.typing


@virtual_time
async def test_typing_preview_input_drives_typing_and_rides_on_refresh():
    page = Page(mock_gms()).boot()
    box = MemoryTextInput()
    assert await page.cmd("registerTypingPreviewInput", {"input": box}) is None
    await page.start()
    box.type("hel")
    await settle()
    assert page.transport.of("startTyping")[0]["fields"][4] == ("message", "hel")
    box.type("lo")
    count = len(page.transport.of("refresh"))
    await page.wait_for(lambda: len(page.transport.of("refresh")) > count)
    assert page.transport.of("refresh")[-1]["fields"][4] == ("message", "hello")
    await asyncio.sleep(2.1)
    assert page.transport.of("stopTyping")[0]["fields"][4] == ("message", "hello")
    assert gms_preview(page) == "hello"
    other = MemoryTextInput()
    await page.cmd("registerTypingPreviewInput", {"input": [other]})  # jQuery-like wrapper
    assert box.listener_count == 0 and other.listener_count == 1
    await page.cmd("endChat")
    assert other.listener_count == 0


class CopiedTextInput(MemoryTextInput):
    """An input whose ``value`` is a copy (the worker's view of a page element): ``read()`` brings
    what the page holds now (``held``), which page code may set without an input event; with
    ``answers=False`` the page never answers."""

    def __init__(self) -> None:
        super().__init__()
        self.held = ""
        self.answers = True
        self.reads = 0

    def type(self, text: str) -> None:
        self.held += text
        super().type(text)

    async def read(self) -> str:
        self.reads += 1
        await asyncio.sleep(0)  # the trip to the page
        if not self.answers:
            await asyncio.Event().wait()
        self.value = self.held
        return self.value


@virtual_time
async def test_an_input_read_elsewhere_is_read_before_its_text_is_sent():
    """spec B.3: the input's value as it is when a refresh goes; page code that empties it
    (``el.value = ''``) fires no input event, so an input in another thread is asked first."""
    page = Page(mock_gms()).boot()
    box = CopiedTextInput()
    await page.cmd("registerTypingPreviewInput", {"input": box})
    await page.start()
    box.type("draft")
    await settle()
    box.held = ""  # the page's send button empties the box in code
    count = len(page.transport.of("refresh"))
    await page.wait_for(lambda: len(page.transport.of("refresh")) > count)
    assert page.transport.of("refresh")[-1]["fields"][4] == ("message", "")
    await page.wait_for(lambda: page.transport.of("stopTyping"))  # 2 s after the keystrokes
    box.held = "set in code"
    await page.cmd("sendTyping", {})
    assert page.transport.of("startTyping")[-1]["fields"][4] == ("message", "set in code")
    # an input that cannot answer (its page gone) delays the poll by READ_INPUT_S, then its last value goes
    box.answers, box.held = False, "never seen"
    count, loop = len(page.transport.of("refresh")), asyncio.get_running_loop()
    start = loop.time()
    await page.wait_for(lambda: len(page.transport.of("refresh")) > count)
    assert page.transport.of("refresh")[-1]["fields"][4] == ("message", "set in code")
    assert loop.time() - start >= READ_INPUT_S
    await page.wait_for(lambda: len(page.transport.of("refresh")) > count + 1)  # polling goes on


@virtual_time
async def test_a_message_sent_while_send_typing_reads_the_input_is_not_overtaken():
    """sendTyping without a message reads the input first (a trip to the page in worker mode): a
    sendMessage or endChat issued right after it went first, and the typing request followed the
    message (a typing burst left open) or the end (a request with no chat, an error). Such a
    sendTyping now gives way: resolved with nothing after a message, rejected after the end."""
    page = Page(mock_gms()).boot()
    box = CopiedTextInput()
    await page.cmd("registerTypingPreviewInput", {"input": box})
    await page.start()
    box.held = "draft"
    mark = page.mark()
    typing = page.probe.command("WebChatService.sendTyping", {})
    sent = page.probe.command("WebChatService.sendMessage", {"message": "hi"})
    assert await typing is None and (await sent)["statusCode"] == 0
    await asyncio.sleep(3)
    assert page.transport.of("startTyping") == [] and page.transport.of("stopTyping") == []
    assert "clientTypingStarted" not in page.names(mark)
    typing = page.probe.command("WebChatService.sendTyping", {})
    ended = page.probe.command("WebChatService.endChat")
    await ended
    with pytest.raises(CommandRejected) as rejected:
        await typing
    assert rejected.value.reason == msg.NO_ACTIVE_SESSION
    assert page.transport.of("startTyping") == [] and "error" not in page.names(mark)


def gms_preview(page):
    return page.gms.chat(page.chat_id)["typingPreview"]


@virtual_time
async def test_register_typing_preview_input_rejections():
    page = Page(mock_gms()).boot()

    class Body:
        value = ""
        is_text_input = False

        def on_input(self, callback):
            return lambda: None

    for bad in (Body(), "x", None, {}, [], 3):
        assert await page.reject("registerTypingPreviewInput", {"input": bad}) == msg.INVALID_INPUT
    assert await page.reject("registerTypingPreviewInput", {}) == (
        "Invalid value provided for the 'input' property. An HTML element reference to a textarea "
        "or text input is required.")


@virtual_time
async def test_send_message_stops_local_typing_first():
    page = Page(mock_gms()).boot()
    await page.start()
    await page.cmd("sendTyping", {"message": "a"})
    mark = page.mark()
    await page.cmd("sendMessage", {"message": "done"})
    assert page.names(mark)[0] == "clientTypingStopped"
    await asyncio.sleep(3)
    assert page.transport.of("stopTyping") == []


@virtual_time
async def test_update_user_data_before_and_during_a_session():
    page = Page(mock_gms()).boot()
    await settle()
    assert await page.cmd("updateUserData", {"y": "3"}) == {"a": "1", "y": "3"}
    assert page.transport.sent == []
    await page.start(userData={"u": "3"})
    fields = dict(page.transport.of("requestChat")[0]["fields"])
    assert (fields["userData[a]"], fields["userData[y]"], fields["userData[u]"]) == ("1", "3", "3")
    mark = page.mark()
    body = await page.cmd("updateUserData", {"x": "2"})
    assert body["statusCode"] == 0
    assert page.transport.of("updateData")[0]["fields"][3:] == [("userData[x]", "2")]
    assert page.names(mark) == ["data.userData"]
    assert page.of("data.userData")[-1]["value"] == {"a": "1", "y": "3", "u": "3", "x": "2"}
    assert page.gms.chat(page.chat_id)["userData"]["x"] == "2"


class PageFunction:
    """A function of the page as the worker holds it: not copyable, answers later."""

    typeof = "function"  # as the worker's stand-in (and a JsProxy) say

    def __init__(self, value):
        self.value, self.calls = value, 0

    def __call__(self):
        self.calls += 1
        done = asyncio.get_running_loop().create_future()
        done.set_result(self.value)
        return done

    def __deepcopy__(self, memo):
        raise TypeError("cannot pickle 'pyodide.ffi.JsProxy' object")


@virtual_time
async def test_functions_in_user_data_are_called_as_they_are_sent_and_the_store_keeps_them():
    """jQuery.param (the original's form encoder) sends a function's value; a configured
    function stopped the service from starting (deepcopy cannot copy a JS function)."""
    cart, step = PageFunction("42.50"), PageFunction("checkout")

    def fails():
        raise RuntimeError("no cart here")

    page = Page(mock_gms(), config={"userData": {"a": "1", "cart": cart, "page": {"step": step}, "bad": fails}}).boot()
    await settle()
    assert page.service.plugin.is_ready and cart.calls == 0
    await page.start(userData={"u": lambda: 3})
    fields = dict(page.transport.of("requestChat")[0]["fields"])
    assert (fields["userData[a]"], fields["userData[cart]"], fields["userData[page][step]"], fields["userData[u]"],
            fields["userData[bad]"]) == ("1", "42.50", "checkout", "3", "")
    assert page.of("data.userData")[-1]["value"]["cart"] is cart   # the store keeps the page's function
    await page.cmd("updateUserData", {"x": PageFunction("2")})
    assert page.transport.of("updateData")[0]["fields"][3:] == [("userData[x]", "2")]
    assert cart.calls == 1
    # what a page's function returns that is not a scalar goes as JS's String() of it (jQuery.param);
    # a Python function's dict or list is sent as data
    await page.cmd("updateUserData", {"o": PageFunction({"a": 1}), "l": PageFunction(["x", None, 2]),
                                      "py": lambda: {"k": "v"}})
    assert page.transport.of("updateData")[1]["fields"][3:] == [
        ("userData[o]", "[object Object]"), ("userData[l]", "x,,2"), ("userData[py][k]", "v")]


def answers_later(value, seconds=1.0):
    """A page function as seen from the worker when the page takes ``seconds`` to answer."""
    def call():
        done = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_later(seconds, done.set_result, value)
        return done
    return call


@virtual_time
async def test_a_chat_another_tab_starts_while_the_page_answers_a_user_data_function_wins():
    page = Page(mock_gms(), config={"userData": {"cart": answers_later("42.50")}}).boot()
    await settle()
    starting = page.deferred("startChat", {"nickname": "Nick"})
    await asyncio.sleep(0.5)
    page.service.cookies.start_lock = page.service.now()   # the other tab's start lock
    await asyncio.sleep(1)
    assert starting.state() == "rejected" and starting.args == ({"statusCode": 1},)
    assert page.transport.of("requestChat") == []


@virtual_time
async def test_user_data_updates_reach_gms_in_the_order_they_were_made():
    gms = mock_gms()
    page = Page(gms).boot()
    await page.start()
    first = page.deferred("updateUserData", {"x": answers_later("1")})
    second = page.deferred("updateUserData", {"x": "2"})
    await page.wait_for(lambda: first.state() != "pending" and second.state() != "pending")
    assert first.is_resolved() and second.is_resolved()
    assert [r["fields"][3:] for r in page.transport.of("updateData")] == [[("userData[x]", "1")], [("userData[x]", "2")]]
    assert gms.chat(page.chat_id)["userData"]["x"] == "2"


@virtual_time
async def test_user_data_that_refers_to_itself_or_returns_a_js_object_still_sends(caplog):
    class JsObject:  # what a page function on the main thread returns for an object: String() is JS's
        def __str__(self):
            return "[object Object]"

    looped = {"a": "1", "when": lambda: JsObject()}
    looped["self"] = looped
    page = Page(mock_gms(), config={"userData": looped}).boot()
    await settle()
    assert page.service.plugin.is_ready
    await page.start()
    fields = dict(page.transport.of("requestChat")[0]["fields"])
    # the request's userData holds the page's: its loop is cut where it comes round again
    assert (fields["userData[a]"], fields["userData[when]"], fields["userData[self][self]"]) == ("1", "[object Object]", "")
    assert "userData.self.self refers to itself" in caplog.text


@virtual_time
async def test_update_user_data_rejects_on_ajax_failure():
    gms = mock_gms()
    page = Page(gms).boot()
    await page.start()
    gms.fault("updateData", "http500")
    failure = await page.reject("updateUserData", {"x": "2"})
    assert failure["status"] == 500


@virtual_time
async def test_start_chat_user_data_validation_and_json_string():
    page = Page(mock_gms()).boot()
    for bad in ("{not json", 5, ["a"], "[1]"):
        assert await page.reject("startChat", {"nickname": "N", "userData": bad}) == \
            "malformed data object provided in userData property"
    body = await page.cmd("startChat", {"nickname": "N", "userData": '{"k": "v"}'})
    assert body["statusCode"] == 0
    assert ("userData[k]", "v") in page.transport.of("requestChat")[0]["fields"]


@virtual_time
async def test_start_chat_rejects_server_and_ajax_errors_with_the_response():
    gms = mock_gms()
    page = Page(gms).boot()
    failure = await page.reject("startChat", {})  # GMS: name required (HTTP 400)
    assert failure["status"] == 400 and failure["responseJSON"]["errors"][0]["code"] == 161
    assert page.of("error")[-1] == failure
    gms.fault("requestChat", "drop")
    failure = await page.reject("startChat", {"nickname": "N"})
    assert failure["status"] == 0 and failure["readyState"] == 0
    gms.fault("requestChat", "http500")
    failure = await page.reject("startChat", {"nickname": "N"})
    assert failure["status"] == 500
    assert page.service.session.active is False and "pollingStarted" not in page.names()


@virtual_time
async def test_send_custom_notice_with_and_without_session():
    """observed-client.md (c): without a chat the original POSTs ``//customNotice`` and resolves with
    whatever GMS answers; the commands page rejects only on an AJAX exception. Likewise
    getFileLimits (with the JSON text). Both rejected a statusCode 2 answer before."""
    page = Page(mock_gms()).boot()
    refused = await page.cmd("sendCustomNotice", {"message": "n"})  # GMS refuses the empty chat
    assert page.transport.sent[0]["url"] == BASE + "//customNotice"
    assert page.transport.sent[0]["fields"] == [("alias", ""), ("secureKey", ""), ("userId", ""),
                                                 ("message", "n")]
    assert refused["statusCode"] == 2 and refused["errors"]
    limits = await page.cmd("getFileLimits")
    assert page.transport.sent[1]["url"] == BASE + "//file/limits"
    assert isinstance(limits, str) and json.loads(limits)["statusCode"] == 2
    assert "error" not in page.names()
    await page.start()
    body = await page.cmd("sendCustomNotice", {"message": "bye"})
    assert body["statusCode"] == 0
    await page.wait_for(lambda: any(m["type"] == "CustomNotice" for d in page.of("messageReceived")
                                    for m in d["messages"]))


@virtual_time
async def test_add_prefilter_and_hidden_messages():
    page = Page(mock_gms()).boot()
    await page.start()
    secret = re.compile("secret")
    assert await page.cmd("addPrefilter", {"filters": secret}) == [secret]
    assert page.storage.values["_genesys.widgets.webchat.state.filters"] == \
        '{"custom":[{"source":"secret","flags":""}]}'
    js_like = type("RegExp", (), {"source": "hid+en", "flags": "i"})()
    assert await page.cmd("addPrefilter", {"filters": [js_like]}) == [secret, js_like]
    page.agent("join")
    await page.wait_event("agentConnected")
    mark = page.mark()
    page.agent("say", text="a secret")
    await page.wait_for(lambda: page.service.session.transcript.next_index == 4)
    assert page.names(mark, data=False) == ["agentTypingStopped"]  # only the implied typing stop
    page.agent("say", text="HIDDDEN")
    page.agent("say", text="{start:123456789}")  # co-browse token, built in
    page.agent("say", text="shown")
    await page.wait_for(lambda: 6 in page.delivered_indexes())
    assert page.delivered_indexes() == [1, 2, 6]
    transcript = await page.cmd("getTranscript")
    assert [m["index"] for m in transcript["messages"]] == [1, 2, 6]


@virtual_time
async def test_a_pages_filter_hides_what_the_javascript_regexp_matches_no_more():
    """A page's filter is a JS RegExp: \\d, \\w and \\b are ASCII there and $ is the end of the
    text; Python's would also hide Arabic-Indic digits, accented words and a line before a
    final newline, messages the original shows. Restored from the cookie the same way."""
    page = Page(mock_gms()).boot()
    await page.start()
    regexps = [type("RegExp", (), {"source": source, "flags": flags})()
               for source, flags in ((r"\d{3}", ""), (r"^\w+$", ""), (r"bye$", ""), (r"^end$", "m"))]
    await page.cmd("addPrefilter", {"filters": regexps})
    said = ["code 123", "code ١٢٣", "visible", "café", "bye", "bye\n", "the\nend\n", "all shown"]
    page.agent("join")
    for text in said:
        page.agent("say", text=text)
    await page.wait_for(lambda: "all shown" in texts_of(page))
    assert texts_of(page) == ["code ١٢٣", "café", "bye\n", "all shown"]
    restored = Prefilters()
    restored.restore(page.service.session.filters.to_cookie())
    assert [text for text in said if not restored.hides({"type": "Message", "text": text})] == texts_of(page)


def texts_of(page: Page) -> list[str]:
    return [m["text"] for d in page.of("messageReceived") for m in d["messages"] if m["type"] == "Message"]


@virtual_time
async def test_add_prefilter_rejections():
    page = Page(mock_gms()).boot()
    for options in ({"filters": "notaregex"}, {}, {"filters": []}, {"filters": [re.compile("ok"), "bad"]},
                    {"filters": {"source": "("}}):
        assert await page.reject("addPrefilter", options) == (
            "Missing or invalid filters provided. Please provide a regular expression or an "
            "array of regular expressions.")
    assert page.service.session.filters.custom == []


@virtual_time
async def test_send_filtered_message():
    page = Page(mock_gms()).boot()
    assert await page.reject("sendFilteredMessage", {"message": "m", "regex": re.compile("m")}) == \
        "No active chat session"
    await page.start()
    assert await page.cmd("sendFilteredMessage", {"message": "code 42", "regex": re.compile(r"code \d+")}) is None
    assert page.transport.of("send")[0]["fields"][3] == ("message", "code 42")
    await asyncio.sleep(3)
    assert 2 not in page.delivered_indexes() and page.service.session.transcript.next_index == 3
    assert await page.reject("sendFilteredMessage", {"message": "x", "regex": "x"}) == msg.INVALID_FILTERS


@virtual_time
async def test_send_filtered_message_checks_its_text_like_send_message():
    page = Page(mock_gms(), config={"maxMessageLength": 5}).boot()
    await page.start()
    for options in ({"regex": "x"}, {"message": "", "regex": "x"}):
        assert await page.reject("sendFilteredMessage", options) == msg.NO_MESSAGE
    assert await page.reject("sendFilteredMessage", {"message": "toolong", "regex": "x"}) == \
        msg.MESSAGE_TOO_LONG.format(5)
    assert page.transport.of("send") == []
    assert page.service.session.filters.registered() == []  # nothing added by a rejected call


@virtual_time
async def test_the_length_limit_counts_as_javascript_does():
    """The original checks message.length: UTF-16 units, so an emoji counts two."""
    page = Page(mock_gms(), config={"maxMessageLength": 5}).boot()
    await page.start()
    assert await page.reject("sendMessage", {"message": "😀😀😀"}) == msg.MESSAGE_TOO_LONG.format(5)
    assert await page.cmd("sendMessage", {"message": "ok 👍"})
    assert [dict(r["fields"])["message"] for r in page.transport.of("send")] == ["ok 👍"]


@virtual_time
async def test_pre_processors_change_messages_in_place_only():
    page = Page(mock_gms()).boot()

    def shout(message):
        message["text"] = (message.get("text") or "") + "!"
        return {"text": "ignored"}

    assert await page.cmd("registerPreProcessor", {"preprocessor": shout}) is shout
    for bad, kind in ((None, "undefined"), ("f", "string"), (3, "number"), ({}, "object"), (True, "boolean")):
        assert await page.reject("registerPreProcessor", {"preprocessor": bad}) == \
            f"No preprocessor function provided. Type provided was '{kind}'."
    await page.start()
    page.agent("join")
    page.agent("say", text="hi")
    await page.wait_for(lambda: 3 in page.delivered_indexes())
    received = page.of("messageReceived")[-1]
    assert received["messages"][-1]["text"] == "hi!"
    assert received["originalMessages"][-1]["text"] == "hi!"  # it got the raw message itself


@virtual_time
async def test_pre_processor_setting_an_unhashable_party_type_loses_no_message(caplog):
    page = Page(mock_gms()).boot()

    def odd_party(message):
        if isinstance(message.get("from"), dict):
            message["from"]["type"] = {"not": "a string"}

    await page.cmd("registerPreProcessor", {"preprocessor": odd_party})
    await page.start()
    page.agent("join")
    page.agent("say", text="hi")
    await page.wait_for(lambda: 3 in page.delivered_indexes())
    assert page.delivered_indexes() == [1, 2, 3]
    # handled, not fallen back to the unmodified message
    assert all(m["from"]["type"] == {"not": "a string"}
               for d in page.of("messageReceived") for m in d["messages"])
    assert "could not be handled" not in caplog.text
    # no party event for a party that is not one of the known types
    assert not {"clientConnected", "agentConnected"} & set(page.names())


@virtual_time
async def test_message_that_fails_after_pre_processing_is_delivered_as_gms_sent_it(caplog):
    page = Page(mock_gms()).boot()

    class Unprintable:
        def __str__(self):
            raise ValueError("no text form")

    def break_participant(message):
        if message.get("type") == "Message":
            message["from"]["participantId"] = Unprintable()
            message["text"] = "changed"

    await page.cmd("registerPreProcessor", {"preprocessor": break_participant})
    await page.start()
    page.agent("join")
    page.agent("say", text="hi")
    page.agent("say", text="there")
    await page.wait_for(lambda: 4 in page.delivered_indexes())
    assert page.delivered_indexes() == [1, 2, 3, 4]
    texts = [m["text"] for d in page.of("messageReceived") for m in d["messages"]][2:]
    assert texts == ["hi", "there"]  # the unmodified messages
    assert "agentConnected" in page.names()
    assert "could not be handled" in caplog.text


@virtual_time
async def test_transcript_agents_and_stats():
    page = Page(mock_gms()).boot()
    assert await page.cmd("getTranscript") == {"messages": [], "originalMessages": []}
    assert await page.cmd("getAgents") == {"agents": {}}
    assert await page.cmd("getStats") == {"agents": {}, "startTime": False, "endTime": False,
                                          "duration": False}
    await page.start()
    page.agent("join", nickname="Bob", supervisor=True)
    await page.wait_event("supervisorConnected")
    page.agent("say", nickname="Bob", text="hello")
    await page.wait_for(lambda: 3 in page.delivered_indexes())
    agents = (await page.cmd("getAgents"))["agents"]
    assert agents["2"]["supervisor"] is True and agents["2"]["name"] == "Bob"
    stats = await page.cmd("getStats")
    transcript = await page.cmd("getTranscript")
    times = [m["timestamp"] for m in transcript["messages"]]
    assert stats["startTime"] == min(times) and stats["endTime"] == max(times)
    assert stats["duration"] == stats["endTime"] - stats["startTime"]
    assert [m["index"] for m in transcript["originalMessages"]] == [1, 2, 3]


@virtual_time
async def test_bot_party_is_reported_as_bot():
    page = Page(mock_gms()).boot()
    await page.start()
    page.agent("join", nickname="Botty")
    await page.wait_event("agentConnected")
    bot_attrs = {"GCTI_SYSTEM": {"party-info": {"style": "BOT"}}}
    page.agent("say", nickname="Botty", text="beep", eventAttributes=bot_attrs)
    await page.wait_for(lambda: 3 in page.delivered_indexes())
    assert page.of("messageReceived")[-1]["messages"][0]["from"]["type"] == "Bot"


@virtual_time
async def test_fetch_history_is_async_only():
    page = Page(mock_gms()).boot()
    assert await page.reject("fetchHistory") == "Fetching history messages applies only to Asynchronous chat"


@virtual_time
async def test_configure_defaults_ranges_and_warnings(caplog):
    caplog.set_level(logging.WARNING, "cxkit.webchat")
    page = Page(mock_gms(), config={"pollRate": 50, "pollRateMin": 100, "pollRateMult": 1,
                                    "ajaxTimeout": "soon", "apikey": "K", "pollRateSleep": 99999}).boot()
    cfg = page.service.config
    assert (cfg.poll_rate, cfg.poll_rate_min, cfg.poll_rate_mult, cfg.ajax_timeout, cfg.poll_rate_sleep) == \
        (3000, 500, 1.2, 3000, 30000)
    warned = " ".join(r.getMessage() for r in caplog.records)
    for key in ("pollRate ", "pollRateMin", "pollRateMult", "ajaxTimeout", "pollRateSleep"):
        assert f"webchat.{key.strip()}" in warned
    await page.start()
    assert all(r["headers"].get("apikey") == "K" for r in page.transport.sent)
    # a second configure (the App's) updates options without re-running startup
    await page.cmd("configure", {"ajaxTimeout": 1000})
    assert page.service.config.ajax_timeout == 1000 and len(page.of("ready")) == 1


@virtual_time
async def test_trailing_slash_off_and_pages_without_a_session_url():
    page = Page(mock_gms(), config={"enableUrlTrailingSlash": False}).boot()
    await page.start()
    assert page.transport.of("requestChat") == [] and page.transport.sent[0]["url"] == BASE


@virtual_time
async def test_plugin_factory_loads_on_first_command_and_from_app_ready():
    import httpx

    from cxkit.bus import boot_app
    from cxkit.gms import HttpxTransport

    gms = mock_gms()
    transport = HttpxTransport(transport=httpx.ASGITransport(app=gms.app))
    bus = Bus()
    bus.register_plugin_factory("WebChatService", webchat_plugin_factory(
        {"dataURL": BASE}, ports=Ports(transport, MemoryStorage())))
    page = bus.register_plugin("Page")
    assert await page.command("WebChatService.verifySession") == {"sessionActive": False}

    lazy = Bus()
    lazy.register_plugin_factory("WebChatService", webchat_plugin_factory(
        ports=Ports(transport, MemoryStorage())))
    boot_app(lazy, {"webchat": {"dataURL": BASE, "userData": {"z": "9"}}})
    probe = lazy.register_plugin("Probe")
    body = await probe.command("WebChatService.startChat", {"nickname": "N"})
    assert body["statusCode"] == 0
    fields = dict(await_fields(gms, body["chatId"]))
    assert fields["z"] == "9"


def await_fields(gms, chat_id):
    return gms.chat(chat_id)["userData"].items()
