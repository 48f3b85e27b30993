"""Issue 11, fidelity round 2: what page code sees, compared with the original client.

One test (or a few) per item; the item number is in the test name."""

import asyncio
import json
from itertools import pairwise

from webchat_harness import Page, mock_gms, settle
from webchat_vclock import VirtualClockLoop, virtual_time

from cxkit.gms import BytesFile, HttpResponse
from cxkit.mockgms import FileLimits as MockFileLimits
from cxkit.webchat import messages as msg

START_UP = ["data.sleeping", "data.sessionActive", "ready", "data.userData"]
PLAIN_XHR = {"readyState", "status", "statusText", "responseText"}


# -- 1: start-up sequence for subscribers attached before the service starts ---------------------

@virtual_time
async def test_1_subscribers_attached_before_start_get_the_whole_start_up_sequence():
    page = Page(mock_gms()).boot(start=False)
    assert not page.service.plugin.is_ready
    # The browser glue attaches the page's queued calls here: a subscription and a command.
    late = page.bus.register_plugin("QueuedPageCode")
    got = []
    for name in START_UP:
        late.subscribe(f"WebChatService.{name}", lambda e, name=name: got.append((name, e.data)))
    verified = late.command("WebChatService.verifySession")
    await settle()
    assert got == [] and page.events == [] and verified.state() == "pending"
    page.service.start()
    await settle()
    assert [name for name, _ in got] == START_UP
    assert [data["value"] for _, data in got if _ != "ready"] == [False, False, {"a": "1"}]
    assert page.names() == START_UP  # the subscriber from before install too
    assert verified.state() == "resolved"
    page.service.start()  # a second start does nothing
    await settle()
    assert len(got) == 4


# -- 2: participant events carry the roster after the whole answer -------------------------------

@virtual_time
async def test_2_restore_publishes_client_connected_with_the_agent_already_in_the_roster():
    gms = mock_gms()
    first = Page(gms).boot()
    await first.start()
    first.agent("join", nickname="Anna")
    await first.wait_event("agentConnected")
    await first.cmd("stopPoll")
    second = Page(gms, storage=first.storage).boot()
    await second.wait_event("pollingStarted")
    (client,) = second.of("clientConnected")
    (agent,) = second.of("agentConnected")
    assert client["agents"] == agent["agents"]
    assert client["agents"]["2"]["name"] == "Anna" and client["agents"]["2"]["connected"] is True
    assert client["numAgentsConnected"] == 0 and agent["numAgentsConnected"] == 1  # counted then


@virtual_time
async def test_2_join_and_leave_in_one_answer_both_show_the_final_roster_in_order():
    page = Page(mock_gms()).boot()
    await page.start()
    await page.cmd("stopPoll")
    page.agent("join", nickname="Anna")
    page.agent("leave")
    mark = page.mark()
    await page.cmd("startPoll")
    await page.wait_event("messageReceived")
    assert page.names(mark) == ["pollingStarted", "agentConnected", "agentDisconnected",
                                "data.agentTyping", "agentTypingStopped", "messageReceived"]
    joined, left = page.of("agentConnected")[0], page.of("agentDisconnected")[0]
    assert joined["agents"]["2"]["connected"] is False and joined["agents"] == left["agents"]
    assert joined["agents"] is not left["agents"]  # each event has its own copy


# -- 3: restore while a chat is active -----------------------------------------------------------

@virtual_time
async def test_3_restore_while_active_publishes_restored_and_rejects():
    page = Page(mock_gms()).boot()
    await page.start()
    mark = page.mark()
    assert await page.reject("restore") == msg.RESTORE_SESSION_ACTIVE
    assert page.names(mark) == ["restored"]
    assert page.service.session.active and page.transport.of("refresh")  # the chat goes on


# -- 5: stopTyping carries the startTyping's transcriptPosition ----------------------------------

@virtual_time
async def test_5_stop_typing_sends_the_position_of_the_start_typing_it_closes():
    page = Page(mock_gms()).boot()
    await page.start()
    await page.cmd("sendTyping", {"message": "ty"})
    page.agent("join")
    await page.wait_event("agentConnected")  # the transcript moved on meanwhile
    await page.wait_for(lambda: page.transport.of("stopTyping"))
    start, stop = page.transport.of("startTyping")[0], page.transport.of("stopTyping")[0]
    position = dict(start["fields"])["transcriptPosition"]
    assert position == "2" and dict(stop["fields"])["transcriptPosition"] == position
    assert page.service.session.transcript.next_index > 3
    # sendTyping({isTyping: false}) closes with the position of its own start, too
    await page.cmd("sendTyping", {"message": "again"})
    await page.cmd("sendTyping", {"isTyping": False})
    start, stop = page.transport.of("startTyping")[1], page.transport.of("stopTyping")[1]
    assert dict(stop["fields"])["transcriptPosition"] == dict(start["fields"])["transcriptPosition"]


# -- 6: agents and stats after the end -----------------------------------------------------------

EMPTY_STATS = {"agents": {}, "startTime": False, "endTime": False, "duration": False}


@virtual_time
async def test_6_after_end_chat_agents_and_stats_are_empty_and_the_transcript_stays():
    page = Page(mock_gms()).boot()
    await page.start()
    page.agent("join")
    page.agent("say", text="hi")
    await page.wait_for(lambda: 3 in page.delivered_indexes())
    assert (await page.cmd("getAgents"))["agents"]
    await page.cmd("endChat")
    assert await page.cmd("getAgents") == {"agents": {}}
    assert await page.cmd("getStats") == EMPTY_STATS
    assert [m["index"] for m in (await page.cmd("getTranscript"))["messages"]] == [1, 2, 3]


@virtual_time
async def test_6_after_the_server_ends_the_chat_agents_and_stats_are_empty():
    page = Page(mock_gms()).boot()
    await page.start()
    page.agent("join")
    await page.wait_event("agentConnected")
    page.agent("end")
    await page.wait_event("ended")
    assert await page.cmd("getAgents") == {"agents": {}}
    assert await page.cmd("getStats") == EMPTY_STATS
    # a new chat starts from a clean roster and counts its own stats
    await page.start()
    stats = await page.cmd("getStats")
    assert stats["agents"] == {} and stats["startTime"] is not False


# -- 7: pre-processor edits reach originalMessages -----------------------------------------------

@virtual_time
async def test_7_a_redacting_pre_processor_leaves_no_clear_text_in_original_messages():
    page = Page(mock_gms()).boot()

    def redact(message):
        if message.get("type") == "Message":
            message["text"] = message["text"].replace("4111", "****")

    await page.cmd("registerPreProcessor", {"preprocessor": redact})
    await page.start()
    page.agent("join")
    page.agent("say", text="card 4111")
    await page.wait_for(lambda: 3 in page.delivered_indexes())
    received = page.of("messageReceived")[-1]
    assert received["messages"][-1]["text"] == "card ****"
    assert received["originalMessages"][-1]["text"] == "card ****"
    transcript = await page.cmd("getTranscript")
    assert "4111" not in json.dumps(transcript)


# -- 8: a file refused by the local check looks like GMS's own refusal ---------------------------

class FileHandleWithoutBytes:
    """A browser File as the core sees it: name, size, type. Touching its bytes is an error."""

    def __init__(self, name, size, type_="application/octet-stream"):
        self.name, self.size, self.type = name, size, type_

    def __getattr__(self, attribute):
        if attribute in ("data", "read", "bytes", "arrayBuffer", "text", "stream", "slice"):
            raise AssertionError(f"the core read the file's bytes ({attribute})")
        raise AttributeError(attribute)


@virtual_time
async def test_8_local_refusal_is_the_same_jqxhr_object_as_a_gms_refusal():
    gms = mock_gms(file_limits=MockFileLimits(file_types=("txt",), max_file_size=10, max_files=1))
    page = Page(gms).boot()
    await page.start()
    by_gms = await page.reject("sendFile", {"files": [BytesFile("a.exe", b"x")]})
    assert len(page.transport.of("file")) == 1
    await page.cmd("getFileLimits")
    cases = [(FileHandleWithoutBytes("b.exe", 1), 203, "txt"),
             (FileHandleWithoutBytes("big.txt", 10 * 1024 * 1024), 202, "10")]
    for file, code, advice in cases:
        mark = page.mark()
        local = await page.reject("sendFile", {"files": [file]})
        assert set(local) == set(by_gms) == PLAIN_XHR
        assert (local["readyState"], local["status"], local["statusText"]) == \
            (by_gms["readyState"], by_gms["status"], by_gms["statusText"]) == (4, 400, "Bad Request")
        refusal = json.loads(local["responseText"])
        assert refusal["statusCode"] == 2 and refusal["chatId"] == page.chat_id
        assert refusal["errors"] == [{"code": code, "advice": advice, "filename": file.name}]
        assert page.names(mark) == ["error"] and page.of("error")[-1] == local
    assert len(page.transport.of("file")) == 1  # nothing was uploaded


# -- 9, 10: reconnected ---------------------------------------------------------------------------

@virtual_time
async def test_9_back_online_publishes_reconnected_too():
    gms = mock_gms()
    page = Page(gms, config={"pollExceptionLimit": 1}).boot()
    await page.start()
    gms.fault("refresh", "status1", count=2)
    await page.wait_event("chatServerWentOffline")
    mark = page.mark()
    await page.wait_event("chatServerBackOnline")
    names = page.names(mark)
    assert names[names.index("chatServerBackOnline") + 1] == "reconnected"
    assert names.count("reconnected") == 1


@virtual_time
async def test_10_reconnected_comes_after_the_messages_of_the_first_good_answer():
    page = Page(mock_gms()).boot()
    await page.start()
    page.scripted.answer("refresh", HttpResponse(0))
    page.agent("join")
    await page.wait_event("disconnected")
    mark = page.mark()
    await page.wait_event("reconnected")
    await settle()
    assert page.names(mark, data=False) == ["agentConnected", "messageReceived", "reconnected"]


# -- 11: endChat answered with an HTTP error -----------------------------------------------------

@virtual_time
async def test_11_end_chat_http_error_publishes_error_right_after_polling_stopped():
    page = Page(mock_gms()).boot()
    await page.start()
    page.scripted.answer("disconnect", HttpResponse(500, "Internal Server Error", "Internal Server Error"))
    mark = page.mark()
    failure = await page.reject("endChat")
    assert failure["status"] == 500
    assert page.names(mark) == ["pollingStopped", "error", "data.sessionActive", "supervisorDisconnected",
                                "agentDisconnected", "clientDisconnected", "ended"]
    assert page.of("error")[-1] == failure


# -- 12: getFileLimits HTTP error ------------------------------------------------------------------

@virtual_time
async def test_12_get_file_limits_http_error_rejects_with_the_plain_jqxhr_object():
    page = Page(mock_gms()).boot()
    await page.start()
    page.scripted.answer("limits", HttpResponse(500, "Internal Server Error", "Internal Server Error"))
    assert await page.reject("getFileLimits") == {
        "readyState": 4, "status": 500, "statusText": "Internal Server Error",
        "responseText": "Internal Server Error"}
    body = json.dumps({"statusCode": 2, "errors": [{"code": 404, "advice": "no such chat"}]})
    page.scripted.answer("limits", HttpResponse(404, body, "Not Found"))
    assert await page.reject("getFileLimits") == {
        "readyState": 4, "status": 404, "statusText": "Not Found", "responseText": body}


# -- 13: the polling loop survives a busy page and its own failures ------------------------------

class WebLoopLikeClock(VirtualClockLoop):
    """Like Pyodide's WebLoop: the clock moves on between two reads, and a timer for a moment
    that has passed raises instead of running at once."""

    def __init__(self):
        super().__init__()
        self.reads = 0

    def time(self):
        self.reads += 1
        return self.virtual_time + self.reads * 1e-9

    def call_at(self, when, callback, *args, context=None):
        delay = when - self.time()
        if delay < 0:
            raise ValueError("Can't schedule in the past")
        return self.call_later(delay, callback, *args, context=context)

    def call_later(self, delay, callback, *args, context=None):
        if delay < 0:
            raise ValueError("Can't schedule in the past")
        return super().call_at(self.virtual_time + delay, callback, *args, context=context)


def run_on(loop, scenario):
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(scenario())
    finally:
        for task in asyncio.all_tasks(loop):
            task.cancel()
        loop.run_until_complete(asyncio.sleep(0))
        loop.close()
        asyncio.set_event_loop(None)


def test_13_a_late_timer_polls_at_once_and_polling_goes_on():
    loop = WebLoopLikeClock()
    errors = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))

    async def scenario():
        page = Page(mock_gms()).boot()
        await page.start()
        await asyncio.sleep(30)  # idle: a poll every 3 s
        before = page.transport.of("refresh")[-1]["time"]
        await asyncio.sleep(0.1)
        loop.virtual_time += 4.0  # the page is busy for 4 s (one long task): every timer is late
        unblocked = loop.time()
        await asyncio.sleep(0)
        page.agent("join")
        await asyncio.sleep(10)
        return page, before, unblocked

    page, before, unblocked = run_on(loop, scenario)
    after = [r["time"] for r in page.transport.of("refresh") if r["time"] > before]
    assert errors == []
    assert before + 3 < unblocked and after[0] - unblocked < 0.001  # due meanwhile: sent at once
    assert [round(b - a, 2) for a, b in pairwise(after)][:3] == [3.0, 3.0, 3.0]
    assert "agentConnected" in page.names()


@virtual_time
async def test_13_an_exception_in_a_poll_publishes_error_and_polling_goes_on():
    page = Page(mock_gms()).boot()
    await page.start()
    handle = page.service.handle_poll_reply
    failures = []

    def broken_once(reply):
        if not failures:
            failures.append(reply)
            raise RuntimeError("boom")
        handle(reply)

    page.service.handle_poll_reply = broken_once
    await page.wait_for(lambda: page.of("error"))
    assert page.of("error") == [{"errorReason": "InternalError", "message": "RuntimeError: boom"}]
    page.agent("join")
    await page.wait_event("agentConnected")
    assert page.service.polling.running


def test_13_an_exception_in_the_ticker_publishes_error_and_polling_goes_on():
    loop = VirtualClockLoop()

    async def scenario():
        page = Page(mock_gms()).boot()
        await page.start()
        polling = page.service.polling
        fire = polling._fire
        broken = []

        def fire_breaks_once(now):
            if not broken:
                broken.append(now)
                raise RuntimeError("ticker broke")
            fire(now)

        polling._fire = fire_breaks_once
        await page.wait_event("error")
        page.agent("join")
        await page.wait_event("agentConnected")
        return page

    page = run_on(loop, scenario)
    assert "ticker broke" in json.dumps(page.of("error")[0])


# -- a pre-processor that answers later (a JS function seen from the Web Worker) -----------------

class LaterPreprocessor:
    """Edits the message after a turn of the loop, as the worker's stand-in for a page function does."""

    answers_later = True

    def __init__(self):
        self.seen = []

    async def __call__(self, message):
        await asyncio.sleep(0)
        self.seen.append(message.get("index"))
        if message.get("type") == "Message":
            message["text"] = message["text"].upper()


async def test_a_pre_processor_that_answers_later_delays_delivery_and_keeps_order_and_edits():
    page = Page(mock_gms()).boot()
    later = LaterPreprocessor()
    await page.cmd("registerPreProcessor", {"preprocessor": later})
    await page.start()
    page.agent("join")
    for word in ("one", "two", "three"):
        page.agent("say", text=word)
    await page.wait_for(lambda: 4 in page.delivered_indexes())
    texts = [m["text"] for e in page.of("messageReceived") for m in e["messages"] if m.get("type") == "Message"]
    originals = [m["text"] for e in page.of("messageReceived") for m in e["originalMessages"] if m.get("type") == "Message"]
    assert texts == ["ONE", "TWO", "THREE"] and originals == texts
    indexes = [m["index"] for e in page.of("messageReceived") for m in e["messages"]]
    assert indexes == sorted(indexes) and len(indexes) == len(set(indexes))  # in order, once each
    assert sorted(later.seen) == sorted(set(later.seen))  # each message pre-processed once


@virtual_time
async def test_an_answer_still_pre_processed_when_its_chat_ends_stays_out_of_the_next_chat():
    """A slow pre-processor still working on the old chat's last answer when the visitor ends
    it and starts another: that answer put the old chat's messages into the new chat's
    transcript (under its sessionData), and the new chat's own messages of the same indexes
    were then dropped as seen."""
    gms = mock_gms()
    page = Page(gms).boot()

    working = []

    async def slow(message):
        working.append(message.get("text"))
        await asyncio.sleep(3)  # a page function that takes its time (virtual time)

    def preprocessor(message):
        return slow(message)

    preprocessor.answers_later = True
    await page.cmd("registerPreProcessor", {"preprocessor": preprocessor})
    await page.start()
    page.agent("join")
    page.agent("say", text="old chat: bye")
    await page.wait_for(lambda: "old chat: bye" in working)  # its answer is being pre-processed
    await page.cmd("endChat")
    await page.cmd("startChat", {"nickname": "Nick"})
    page.agent("join")
    page.agent("say", text="new chat: hello")
    await page.wait_for(lambda: "new chat: hello" in [m.get("text") for e in page.of("messageReceived")
                                                       for m in e["messages"]], timeout=60)
    transcript = (await page.cmd("getTranscript"))["messages"]
    texts = [m.get("text") for m in transcript if m["type"] == "Message"]
    assert texts == ["new chat: hello"], texts
    assert [m["index"] for m in transcript] == sorted({m["index"] for m in transcript})
