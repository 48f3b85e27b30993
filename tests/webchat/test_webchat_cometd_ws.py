"""CometD over the WebSocket (issue 14): websocket-first negotiation and the long-polling
fallback, a dropped socket or a faulted handshake/connect loses nothing (Bayeux ack extension),
startChat settles on the first notification, endChat's whole local end sequence, the CometD
typing rule, asynchronous chat (the page's session callbacks, restore, fetchHistory)."""

from __future__ import annotations

import asyncio
import gc
import json
import weakref

import pytest
from cometd_page import CometdPage, started
from webchat_harness import mock_gms, settle
from webchat_vclock import virtual_time

from cxkit.bus import Deferred
from cxkit.webchat import MemoryStorage, MemoryTextInput
from cxkit.webchat import messages as msg

GMS = "http://gms.test"
COMETD = {"enabled": True, "cometURL": GMS + "/genesys/cometd",
          "channel": "/service/chatV2/customer-support", "apiURL": GMS + "/genesys/2/chat-ntf"}
ASYNC = {"enabled": True, "maxMessagePageSize": 2}


def ws_page(gms, **config) -> CometdPage:
    return CometdPage(gms, config={"cometD": dict(COMETD), **config})


def texts(page) -> list[str]:
    return [m["text"] for d in page.of("messageReceived") for m in d["messages"] if m["type"] == "Message"]


def once_each(page) -> bool:
    indexes = page.delivered_indexes()
    return indexes == sorted(set(indexes))


# -- negotiation ----------------------------------------------------------------------------------

@virtual_time
async def test_a_whole_chat_over_one_socket_and_no_long_poll():
    gms = mock_gms()
    page = ws_page(gms).boot()
    body = await started(page)
    assert page.chat_id == body["chatId"]
    [handshake] = page.frames("/meta/handshake")
    assert handshake["url"] == "ws://gms.test/genesys/cometd"
    assert handshake["payload"][0]["supportedConnectionTypes"] == ["websocket", "long-polling"]
    assert handshake["payload"][0]["ext"] == {"ack": True}
    page.agent("join")
    page.agent("say", text="over the socket")
    await page.wait_for(lambda: "over the socket" in texts(page))
    assert await page.cmd("sendMessage", {"message": "hi"}) == {"statusCode": 0}
    await page.wait_for(lambda: "hi" in texts(page))
    assert page.long_polls() == [] and page.transport.of("refresh") == []
    connects = page.frames("/meta/connect")
    assert connects and all(c["payload"][0]["connectionType"] == "websocket" for c in connects)
    assert connects[-1]["payload"][0]["ext"]["ack"] >= 1
    transports = gms.cometd.transports()
    assert transports["socketsOpened"] == 1 and transports["connects"]["long-polling"] == 0
    assert page.service.push.bayeux.transports_used == ["websocket"]
    assert once_each(page)
    await page.cmd("endChat")
    await page.wait_for(lambda: gms.cometd.transports()["socketsOpen"] == 0)


@virtual_time
async def test_a_refused_upgrade_renegotiates_to_long_polling_at_once_and_each_chat_tries_again():
    gms = mock_gms()
    gms.cometd.config.websocket = False  # the upgrade gets HTTP 405, as the original saw
    page = ws_page(gms).boot()
    mark = page.mark()
    await started(page)
    assert page.connector.refusals == [405]
    [handshake] = page.transport.of("/meta/handshake")
    assert handshake["kind"] == "json" and handshake["payload"][0]["supportedConnectionTypes"] == ["long-polling"]
    assert "disconnected" not in page.names(mark) and "error" not in page.names(mark)
    page.agent("join")
    page.agent("say", text="polled push")
    await page.wait_for(lambda: "polled push" in texts(page))
    await page.cmd("endChat")
    gms.cometd.config.websocket = True
    await started(page)  # the next chat tries the socket first again, and gets it
    assert page.connector.refusals == [405] and len(page.connector.sockets) == 1
    assert page.service.push.bayeux.connection_type == "websocket"


@virtual_time
async def test_websocket_disabled_in_the_config_only_long_polls():
    gms = mock_gms()
    page = CometdPage(gms, config={"cometD": {**COMETD, "websocketEnabled": False}}).boot()
    await started(page)
    assert not [r for r in page.transport.sent if r["kind"].startswith("ws")]
    [handshake] = page.transport.of("/meta/handshake")
    assert handshake["payload"][0]["supportedConnectionTypes"] == ["long-polling"]


# -- faults: nothing lost -------------------------------------------------------------------------

@virtual_time
async def test_a_socket_dropped_mid_chat_loses_nothing():
    gms = mock_gms()
    page = ws_page(gms).boot()
    await started(page)
    page.agent("join")
    await page.wait_for(lambda: len(page.delivered_indexes()) == 2)
    mark = page.mark()
    # the next frame the server sends (the connect answer carrying the agent's message) is lost
    # with the socket, dropped without a close frame
    gms.cometd.faults.add("websocket", "drop")
    page.agent("say", text="sent into a dead socket")
    await page.wait_for(lambda: "sent into a dead socket" in texts(page))
    assert page.names(mark, data=False)[:1] == ["disconnected"] and "reconnected" in page.names(mark)
    assert page.delivered_indexes() == [1, 2, 3]
    assert len(page.connector.sockets) == 2 and page.connector.sockets[0].close_code == 1006
    assert page.service.push.bayeux.connection_type == "websocket"
    page.agent("say", text="after")
    await page.wait_for(lambda: "after" in texts(page))
    assert page.delivered_indexes() == [1, 2, 3, 4]


@pytest.mark.parametrize("websocket", [True, False], ids=["websocket", "long-polling"])
@pytest.mark.parametrize("mode", ["http500", "drop", "delay", "unknown"])
@virtual_time
async def test_faulted_connects_recover_without_losing_a_pushed_message(websocket, mode):
    gms = mock_gms()
    page = CometdPage(gms, websocket=websocket, config={"cometD": dict(COMETD)}).boot()
    await started(page)
    mark = page.mark()
    gms.cometd.faults.add("connect", mode, delay_ms=3000)
    # release the held connect so that the next one, which meets the fault, is the one the
    # agent's messages are for
    for session in list(gms.cometd.bayeux.sessions.values()):
        gms.cometd.bayeux.deliver(session.client_id, {"channel": "/test/wake", "data": {}})
    await page.wait_for(lambda: gms.cometd.faults.pending() == [], step=0.001)
    page.agent("join")
    page.agent("say", text="pushed during the fault")
    await page.wait_for(lambda: "pushed during the fault" in texts(page))
    assert page.delivered_indexes() == [1, 2, 3]
    names = page.names(mark, data=False)
    if mode in ("http500", "drop"):  # no answer: disconnected, then reconnected
        assert "disconnected" in names and "reconnected" in names
    else:  # a late answer, or 402 (the client handshakes again): no connectivity event
        assert "disconnected" not in names
    if mode == "unknown":
        assert len(page.transport.of("/meta/handshake")) == 2
    page.agent("say", text="after")
    await page.wait_for(lambda: "after" in texts(page))
    assert once_each(page) and page.service.session.active


@pytest.mark.parametrize("mode", ["http500", "drop", "delay", "unknown"])
@virtual_time
async def test_a_faulted_handshake_is_retried_and_the_chat_starts(mode):
    gms = mock_gms()
    page = ws_page(gms).boot()
    gms.cometd.faults.add("handshake", mode, delay_ms=500)
    body = await page.cmd("startChat", {"nickname": "Nick"})
    assert body["chatId"] == page.chat_id and page.service.session.active
    page.agent("join")
    page.agent("say", text="hello")
    await page.wait_for(lambda: "hello" in texts(page))


@virtual_time
async def test_a_first_handshake_without_answer_rejects_start_chat_with_the_network_failure():
    gms = mock_gms()
    page = ws_page(gms).boot()
    gms.cometd.faults.add("handshake", "drop", count=-1)
    failure = await page.reject("startChat", {"nickname": "Nick"})
    assert failure["status"] == 0 and not page.service.session.active
    assert gms.chats() == []


@virtual_time
async def test_a_socket_that_keeps_failing_falls_back_to_long_polling():
    gms = mock_gms()
    page = ws_page(gms).boot()
    await started(page)
    gms.cometd.config.websocket = False  # every new upgrade is refused from now on
    gms.cometd.faults.add("websocket", "close")
    page.agent("join")
    page.agent("say", text="one")
    await page.wait_for(lambda: "one" in texts(page))
    bayeux = page.service.push.bayeux
    assert bayeux.transports_used == ["websocket", "long-polling"]
    assert page.connector.refusals == [405, 405]
    page.agent("say", text="two")
    await page.wait_for(lambda: "two" in texts(page))
    assert page.delivered_indexes() == [1, 2, 3, 4] and page.long_polls()


# -- what page code sees --------------------------------------------------------------------------

@virtual_time
async def test_start_chat_resolves_with_the_first_notification_and_a_lost_request_rejects():
    gms = mock_gms()
    page = ws_page(gms).boot()
    body = await started(page)
    assert body["nextPosition"] == 2 and body["chatEnded"] is False and body["userId"]
    await page.cmd("endChat")
    gms.fault("requestChat", "drop")  # acknowledged, then nothing comes
    failure = await page.reject("startChat", {"nickname": "Nick"})
    assert failure["status"] == 0 and not page.service.session.active and "started" not in page.names(page.mark())


@pytest.mark.parametrize("ack_first", [True, False], ids=["ack-first", "notification-first"])
@virtual_time
async def test_end_chat_always_runs_the_whole_local_end_sequence(ack_first):
    gms = mock_gms()
    page = ws_page(gms).boot()
    await started(page)
    page.agent("join")
    await page.wait_for(lambda: len(page.delivered_indexes()) == 2)
    if not ack_first:
        # the publish's acknowledgement is held back: the chat-ended notification overtakes it
        gms.cometd.faults.add("websocket", "delay", delay_ms=1000)
    mark = page.mark()
    assert await page.cmd("endChat") == {"statusCode": 0}
    names = page.names(mark, data=False)
    tail = ["supervisorDisconnected", "agentDisconnected", "clientDisconnected", "ended"]
    assert names[-4:] == tail and names.count("ended") == 1, names
    assert not page.service.session.active


@virtual_time
async def test_the_mock_refuses_a_publish_without_the_right_identity():
    gms = mock_gms()
    page = ws_page(gms).boot()
    await started(page)
    session = page.service.session
    session.identity = session.identity.__class__(
        page.chat_id, session.identity.alias, session.identity.secure_key, "someone-else")
    assert await page.cmd("sendMessage", {"message": "forged"}) == {"statusCode": 0}
    await page.wait_for(lambda: page.of("error"))
    [error] = page.of("error")
    assert error["statusCode"] == 2 and error["errors"][0]["code"] == 110  # as REST refuses it
    assert all(m.get("text") != "forged" for m in gms.chat(page.chat_id)["messages"])


@virtual_time
async def test_typing_follows_the_cometd_rule():
    gms = mock_gms()
    page = ws_page(gms).boot()
    await started(page)
    box = MemoryTextInput()
    await page.cmd("registerTypingPreviewInput", {"input": box})
    loop = asyncio.get_running_loop()
    mark = page.mark()
    start = loop.time()
    box.type("h")
    await page.wait_for(lambda: len(page.frames("startTyping")) == 1, step=0.01)
    box.type("i")  # no request now: the 5 s check sees the change
    await page.wait_for(lambda: len(page.frames("startTyping")) == 2, step=0.01)
    second = page.frames("startTyping")[1]
    assert 4.9 <= second["time"] - start <= 5.1 and second["payload"][0]["data"]["message"] == "hi"
    await page.wait_for(lambda: page.frames("stopTyping"), step=0.01)
    stop = page.frames("stopTyping")[0]
    assert 14.9 <= stop["time"] - start <= 15.1  # two idle checks after the last change
    assert stop["payload"][0]["data"]["transcriptPosition"] >= 1
    assert "clientTypingStarted" not in page.names(mark) and "clientTypingStopped" not in page.names(mark)
    # sendTyping settles (the original's never does) with the startTyping acknowledgement
    assert await page.cmd("sendTyping", {"message": "x"}) == {"statusCode": 0}
    assert await page.cmd("sendMessage", {"message": "x"}) == {"statusCode": 0}
    stops = len(page.frames("stopTyping"))
    await asyncio.sleep(20)
    assert len(page.frames("stopTyping")) == stops  # sendMessage cleared the typing state


# -- asynchronous chat ----------------------------------------------------------------------------

class SessionStore:
    """The page's async callbacks: setSessionData reads, getSessionData writes (the names are
    swapped in the original). ``later`` makes them answer with an awaitable, as a JS function
    seen from a Web Worker does (a Deferred)."""

    def __init__(self, later: bool = False) -> None:
        self.saved: str | None = None
        self.writes: list[dict] = []
        self.reads: list[tuple] = []
        self.later = later

    def read(self, *args):
        self.reads.append(args)
        return Deferred().resolve(self.saved) if self.later else self.saved

    def write(self, session_data, *args):
        self.writes.append(dict(session_data))
        self.saved = json.dumps(session_data)
        return Deferred().resolve(None) if self.later else None

    def config(self) -> dict:
        return {**ASYNC, "setSessionData": self.read, "getSessionData": self.write}


@pytest.mark.parametrize("later", [False, True], ids=["value", "awaitable"])
@virtual_time
async def test_an_async_chat_is_restored_through_the_page_callbacks(later):
    gms = mock_gms()
    store = SessionStore(later)
    first = ws_page(gms, **{"async": store.config()}).boot()
    await settle()
    assert len(store.reads) == 1 and store.reads[0][0]  # once, at configure, with a key name
    await started(first)
    assert gms.chat(first.chat_id)["userData"]["GCTI_Chat_AsyncMode"] == "true"
    assert store.writes == [first.service.session.identity.as_session_data()]
    first.agent("join")
    for i in range(5):
        first.agent("say", text=f"m{i}")
    await first.wait_for(lambda: len(first.delivered_indexes()) == 7)
    await first.service.push.close()  # the page unloads
    # a reload on a page with no cookies at all: only the page's callbacks know the chat
    second = ws_page(gms, **{"async": store.config()})
    second.storage = MemoryStorage()
    second.boot()
    restored = await second.wait_event("restored")
    assert restored == {"async": True} and len(store.reads) == 2
    await second.wait_for(lambda: second.service.session.active)
    assert second.bus.plugin.data("WebChatService.WebChatService.mode") == {"async": True}
    asks = [f["payload"][0]["data"]["transcriptPosition"] for f in second.frames("requestNotifications")]
    assert asks == [-1, 6]  # the next index (8), then one page of 2 back
    assert second.delivered_indexes() == [6, 7]
    # fetchHistory pages back by maxMessagePageSize
    await second.cmd("fetchHistory")
    await second.wait_for(lambda: len(second.delivered_indexes()) == 4)
    older = second.of("messageReceived")[-1]
    assert older["oldMessages"] is True and [m["index"] for m in older["messages"]] == [5, 4]
    await second.cmd("fetchHistory")
    await second.wait_for(lambda: len(second.delivered_indexes()) == 6)
    await second.cmd("fetchHistory")
    await second.wait_for(lambda: sorted(second.delivered_indexes()) == [1, 2, 3, 4, 5, 6, 7])
    assert await second.reject("fetchHistory") == msg.NO_MORE_MESSAGES
    second.agent("say", text="live")
    await second.wait_for(lambda: "live" in texts(second))
    await second.cmd("endChat")
    assert store.writes[-1] == {"sessionID": "", "userId": "", "secureKey": "", "alias": ""}


@virtual_time
async def test_the_restore_command_takes_session_data_in_async_mode():
    gms = mock_gms()
    store = SessionStore()
    first = ws_page(gms, **{"async": store.config()}).boot()
    await started(first)
    identity = first.service.session.identity.as_session_data()
    await first.service.push.close()
    second = ws_page(gms, **{"async": {**ASYNC}})
    second.storage = MemoryStorage()
    second.boot()
    assert await second.cmd("restore", {"sessionData": identity}) is None
    assert second.service.session.active and second.of("restored") == [{"async": True}]
    assert await second.reject("restore", {"sessionData": identity}) == msg.RESTORE_SESSION_ACTIVE


@virtual_time
async def test_in_async_mode_a_session_cookie_alone_restores_nothing():
    """The page's session data is the async chat's identity (COMPAT): the restore command
    without it does not fall back on the session cookie the same page wrote."""
    gms = mock_gms()
    first = ws_page(gms, **{"async": {**ASYNC}}).boot()
    await started(first)
    await first.service.push.close()
    second = CometdPage(gms, storage=first.storage, config={"cometD": dict(COMETD), "async": {**ASYNC}}).boot()
    await settle()
    assert first.storage.get("_genesys.widgets.webchat.state.session") == first.chat_id
    assert await second.reject("restore") is None  # nothing to restore: rejected without a reason
    assert not second.service.session.active and not second.of("restored")


@virtual_time
async def test_an_async_session_that_ended_meanwhile_is_a_restore_timeout():
    gms = mock_gms()
    store = SessionStore()
    first = ws_page(gms, **{"async": store.config()}).boot()
    await started(first)
    await first.service.push.close()
    gms.agent(first.chat_id, "end")
    second = ws_page(gms, **{"async": store.config()}).boot()
    await second.wait_event("restoreTimeout")
    assert not second.service.session.active and await second.cmd("verifySession") == {"sessionActive": False}


@virtual_time
async def test_an_async_restore_waiting_for_the_page_survives_garbage_collection():
    """The event loop holds tasks weakly: a restore waiting for an answer that only it holds
    (the page's reader answers later) must be kept alive by the service and finish."""
    gms = mock_gms()
    store = SessionStore()
    first = ws_page(gms, **{"async": store.config()}).boot()
    await started(first)
    await first.service.push.close()
    answers: list[weakref.ref[asyncio.Future[str | None]]] = []

    def read_later(*args):
        answer = asyncio.get_running_loop().create_future()
        answers.append(weakref.ref(answer))
        return answer

    second = ws_page(gms, **{"async": {**store.config(), "setSessionData": read_later}})
    second.storage = MemoryStorage()
    second.boot()
    await settle()
    gc.collect()
    answer = answers[0]()
    assert answer is not None and second.service.session.restoring
    answer.set_result(store.saved)
    assert await second.wait_event("restored") == {"async": True}
    assert second.service.session.active and not second.service.session.restoring
