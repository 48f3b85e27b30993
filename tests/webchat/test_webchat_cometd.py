"""CometD mode of the WebChatService against the real mock GMS, long-polling (httpx ASGI
transport; cometd_page(..., websocket=False)) and over the WebSocket (the in-process ASGI
connector; test_webchat_cometd_ws.py): publishes resolve {statusCode: 0}, startChat settles on
the first notification, results arrive as notifications through the same message processing as
REST, no polling, files via apiURL, restore via requestNotifications, reconnects."""

from __future__ import annotations

import asyncio
import json

import pytest
from cometd_page import CometdPage, started
from webchat_harness import Page, mock_gms, settle
from webchat_vclock import virtual_time

from cxkit.gms import BytesFile, HttpResponse
from cxkit.mockgms import FileLimits
from cxkit.webchat import MemoryStorage
from cxkit.webchat import messages as msg

GMS = "http://gms.test"
COMETD = {"enabled": True, "cometURL": GMS + "/genesys/cometd",
          "channel": "/service/chatV2/customer-support", "apiURL": GMS + "/genesys/2/chat-ntf"}


def cometd_page(gms, **config) -> Page:
    """Long-polling (no WebSocket port), as these tests were written for."""
    return CometdPage(gms, websocket=False, config={"cometD": dict(COMETD), **config})


@virtual_time
async def test_start_chat_publishes_and_the_session_starts_with_the_first_notification():
    gms = mock_gms()
    page = cometd_page(gms).boot()
    await settle()
    mark = page.mark()
    await started(page)
    assert page.names(mark) == ["data.userData", "data.sessionActive", "started", "clientConnected",
                                "messageReceived"]
    assert page.of("started")[0]["sessionID"] == page.chat_id and page.chat_id
    publish = next(r for r in page.transport.sent if r["op"] == "requestChat")
    data = publish["payload"][0]["data"]
    assert publish["url"] == GMS + "/genesys/cometd"
    assert list(data)[:5] == ["operation", "chatId", "alias", "secureKey", "userId"]
    assert data["nickname"] == "Nick" and data["userData"]["a"] == "1"
    assert [data[k] for k in ("chatId", "alias", "secureKey", "userId")] == ["", "", "", ""]
    assert gms.chat(page.chat_id)["userData"]["_genesys_widgets"] == "9.0.018.07"
    assert "pollingStarted" not in page.names() and page.transport.of("refresh") == []
    assert await page.reject("startPoll") == msg.COMETD_POLLING
    assert await page.reject("stopPoll") == msg.NOT_POLLING
    assert page.storage.get("_genesys.widgets.webchat.state.session") == page.chat_id


@virtual_time
async def test_agent_messages_are_pushed_without_any_refresh():
    page = cometd_page(mock_gms()).boot()
    await started(page)
    mark = page.mark()
    page.agent("join", nickname="Anna")
    page.agent("typing")
    page.agent("say", text="Hello!")
    await page.wait_for(lambda: "Hello!" in [m["text"] for d in page.of("messageReceived") for m in d["messages"]])
    names = page.names(mark, data=False)
    assert names[0] == "agentConnected" and "agentTypingStarted" in names and names[-1] == "messageReceived"
    assert page.delivered_indexes() == [1, 2, 3, 4]
    assert not [r for r in page.transport.sent if r["kind"] == "form"]


@virtual_time
async def test_send_resolves_status_0_and_own_messages_come_back_once():
    gms = mock_gms()
    page = cometd_page(gms).boot()
    await started(page)
    assert await page.cmd("sendMessage", {"message": "hi", "parentMessageID": "7"}) == {"statusCode": 0}
    await page.wait_for(lambda: len(page.delivered_indexes()) == 2)
    publish = next(r for r in page.transport.sent if r["op"] == "sendMessage")["payload"][0]["data"]
    identity = page.service.session.identity
    assert [publish[k] for k in ("operation", "chatId", "alias", "secureKey", "userId")] == [
        "sendMessage", identity.chat_id, identity.alias, identity.secure_key, identity.user_id]
    assert publish["eventAttributes"] == {"general-properties": {"related-event-id": "7"}}
    assert page.of("messageReceived")[-1]["messages"][0]["text"] == "hi"
    assert await page.cmd("sendCustomNotice", {"message": "n"}) == {"statusCode": 0}
    assert await page.cmd("updateUserData", {"k": "v"}) == {"statusCode": 0}
    assert (await page.cmd("sendTyping", {"message": "typ"}))["statusCode"] == 0
    await page.wait_for(lambda: gms.chat(page.chat_id)["typingPreview"] == "typ")
    typing = next(r for r in page.transport.sent if r["op"] == "startTyping")["payload"][0]["data"]
    assert isinstance(typing["transcriptPosition"], int) and typing["transcriptPosition"] >= 2
    assert gms.chat(page.chat_id)["userData"]["k"] == "v"
    await page.wait_for(lambda: len(page.delivered_indexes()) >= 4)
    assert len(page.delivered_indexes()) == len(set(page.delivered_indexes()))


@virtual_time
async def test_end_chat_and_server_end():
    gms = mock_gms()
    page = cometd_page(gms).boot()
    await started(page)
    mark = page.mark()
    assert await page.cmd("endChat") == {"statusCode": 0}
    assert page.names(mark, data=False)[-1] == "ended" and not page.service.session.active
    await page.wait_for(lambda: gms.chat(page.chat_id if page.service.session.identity.chat_id else
                                             gms.chats()[0]["chatId"])["state"] == "ended")
    await page.wait_for(lambda: gms.cometd.clients() == [])  # no idle long poll after the chat
    # A second chat on the same page, then the agent ends it.
    await started(page)
    mark = page.mark()
    page.agent("join")
    page.agent("end")
    await page.wait_for(lambda: "ended" in page.names(mark))
    assert page.storage.get("_genesys.widgets.webchat.state.session") is None
    assert "ended" in page.names(mark)


@virtual_time
async def test_server_refusals_publish_error_with_the_notification_data():
    gms = mock_gms()
    page = cometd_page(gms).boot()
    await started(page)
    gms.fault("send", "status2")
    assert await page.cmd("sendMessage", {"message": "lost"}) == {"statusCode": 0}
    await page.wait_for(lambda: page.of("error"))
    error = page.of("error")[0]
    assert error["statusCode"] == 2 and error["errors"][0]["code"] == 249
    assert page.service.session.active


@pytest.mark.parametrize("refusal, status, code", [("status1", 1, 500), ("too long", 2, 204)])
@virtual_time
async def test_every_refused_send_is_an_error_even_those_a_poll_would_not_report(refusal, status, code):
    """The command resolved on its publish (as the original): the refusal that follows, as a
    notification, is the page's only news that the message was not taken. A poll's statusCode 1
    and code 204 publish no error; these answer a send, so they do."""
    gms = mock_gms(max_message_chars=10)
    page = cometd_page(gms).boot()
    await started(page)
    text = "x" * 20 if refusal == "too long" else "lost"
    if refusal == "status1":
        gms.fault("send", "status1")
    assert await page.cmd("sendMessage", {"message": text}) == {"statusCode": 0}
    await page.wait_for(lambda: page.of("error"))
    error = page.of("error")[0]
    assert error["statusCode"] == status and error["errors"][0]["code"] == code, error
    assert page.service.session.active


@virtual_time
async def test_start_refused_by_the_server_rejects_with_the_refusal_and_starts_nothing():
    page = cometd_page(mock_gms()).boot()
    refusal = await page.reject("startChat", {})  # settled on the first notification, as the original
    assert refusal["errors"][0]["code"] == 161 and refusal["statusCode"] == 2
    assert page.of("error") == [refusal] and not page.service.session.active


@virtual_time
async def test_files_go_to_the_api_url():
    gms = mock_gms(file_limits=FileLimits(file_types=("txt",)))  # the default types are GMS's: no txt
    page = cometd_page(gms).boot()
    await started(page)
    limits = await page.cmd("getFileLimits")
    assert "file-client-cfg-get" in limits
    body = await page.cmd("sendFile", {"files": [BytesFile("a.txt", b"hello", "text/plain")]})
    assert body["statusCode"] == 0 and body["userData"]["file-id"]
    await page.wait_for(lambda: any(m["type"] == "FileUploaded" for d in page.of("messageReceived")
                                    for m in d["messages"]))
    upload = [r for r in page.transport.sent if r["kind"] == "multipart"][-1]
    assert upload["url"] == GMS + "/genesys/2/chat-ntf"
    assert upload["fields"][:2] == [("operation", "fileUpload"),
                                    ("secureKey", page.service.session.identity.secure_key)]
    await page.cmd("downloadFile", {"fileId": body["userData"]["file-id"]})
    [request] = page.downloader.requests
    assert request.url == GMS + "/genesys/2/chat-ntf" and ("operation", "fileDownload") in request.fields


@virtual_time
async def test_without_api_url_file_commands_keep_the_original_rejection():
    page = Page(mock_gms(), config={"cometD": {**COMETD, "apiURL": ""}}).boot()
    await started(page)
    assert await page.reject("getFileLimits") == msg.COMETD_FILES
    assert await page.reject("sendFile", {"files": [BytesFile("a.txt", b"x")]}) == msg.COMETD_FILES


@virtual_time
async def test_reload_restores_through_request_notifications_without_duplicates():
    gms = mock_gms()
    storage = MemoryStorage()
    first = Page(gms, storage=storage, config={"cometD": dict(COMETD)}).boot()
    await started(first)
    first.agent("join")
    first.agent("say", text="before")
    await first.wait_for(lambda: len(first.delivered_indexes()) == 3)
    chat_id = first.chat_id
    await first.service.push.close()  # the page unloads
    first.agent("say", text="while away")
    second = Page(gms, storage=storage, config={"cometD": dict(COMETD)}).boot()
    await second.wait_for(lambda: second.of("restored"))
    await second.wait_for(lambda: len(second.delivered_indexes()) == 4)
    assert second.chat_id == chat_id and second.service.session.active
    history, live = second.of("messageReceived")
    assert history["restoring"] is True and [m["index"] for m in history["messages"]] == [1, 2, 3]
    assert live["restoring"] is False and [m["text"] for m in live["messages"]] == ["while away"]
    publish = next(r for r in second.transport.sent if r["op"] == "requestNotifications")
    assert publish["payload"][0]["data"]["transcriptPosition"] == 1
    second.agent("say", text="after")
    await second.wait_for(lambda: len(second.delivered_indexes()) == 5)
    assert sorted(second.delivered_indexes()) == [1, 2, 3, 4, 5]


@virtual_time
async def test_restore_of_an_ended_chat_is_a_restore_timeout():
    gms = mock_gms()
    storage = MemoryStorage()
    first = Page(gms, storage=storage, config={"cometD": dict(COMETD)}).boot()
    await started(first)
    await first.service.push.close()
    gms.agent(first.chat_id, "end")
    second = Page(gms, storage=storage, config={"cometD": dict(COMETD)}).boot()
    await second.wait_for(lambda: "restoreTimeout" in second.names())
    assert not second.service.session.active and storage.get("_genesys.widgets.webchat.state.session") is None


@virtual_time
async def test_a_forgotten_client_handshakes_again_and_catches_up():
    gms = mock_gms()
    page = cometd_page(gms).boot()
    await started(page)
    gms.cometd.bayeux.close_all()  # as a GMS restart would
    page.agent("join")
    page.agent("say", text="missed")
    await page.wait_for(lambda: "missed" in [m["text"] for d in page.of("messageReceived") for m in d["messages"]])
    assert page.delivered_indexes() == [1, 2, 3]
    assert len([r for r in page.transport.sent if r["op"] == "/meta/handshake"]) == 2


@virtual_time
async def test_network_loss_publishes_disconnected_then_reconnected():
    gms = mock_gms()
    page = cometd_page(gms).boot()
    await started(page)
    inner = page.transport.inner
    real = inner.post_json
    down = {"on": True}

    async def flaky(url, payload, *, headers, timeout):
        if down["on"]:
            from cxkit.gms import HttpResponse
            return HttpResponse(0, "", "error")
        return await real(url, payload, headers=headers, timeout=timeout)

    inner.post_json = flaky
    gms.cometd.bayeux.close_all()  # release the held connect so the next one fails
    await page.wait_for(lambda: "disconnected" in page.names())
    down["on"] = False
    page.agent("join")
    await page.wait_for(lambda: "reconnected" in page.names())
    await page.wait_for(lambda: page.delivered_indexes() == [1, 2])


@virtual_time
async def test_async_mode_marks_the_request_and_pages_history():
    gms = mock_gms()
    page = cometd_page(gms, **{"async": {"enabled": True, "maxMessagePageSize": 2}}).boot()
    await started(page)
    data = gms.chat(page.chat_id)["userData"]
    assert data["GCTI_Chat_AsyncMode"] == "true"
    assert await page.reject("fetchHistory") == msg.NO_MORE_MESSAGES


@virtual_time
async def test_fetch_history_outside_async_mode_rejects():
    page = cometd_page(mock_gms()).boot()
    await started(page)
    assert await page.reject("fetchHistory") == msg.FETCH_HISTORY_SYNC
    await asyncio.sleep(0)


class _JsDate:
    """A JS Date as Python sees it from the page: an object with a toJSON."""

    def toJSON(self) -> str:
        return "2026-12-07T12:00:00.000Z"


@pytest.mark.parametrize("websocket", [False, True], ids=["long-polling", "websocket"])
@virtual_time
async def test_a_js_object_in_user_data_goes_as_json_stringify_writes_it(websocket):
    # JSON.stringify writes a Date by its toJSON; json.dumps refused it and startChat failed
    gms = mock_gms()
    page = CometdPage(gms, websocket=websocket, config={"cometD": dict(COMETD)}).boot()
    await page.cmd("startChat", {"nickname": "Nick", "userData": {"since": _JsDate()}})
    await page.wait_for(lambda: page.chat_id)
    assert gms.chat(page.chat_id)["userData"]["since"] == "2026-12-07T12:00:00.000Z"
    assert await page.cmd("updateUserData", {"seen": _JsDate()}) == {"statusCode": 0}
    assert gms.chat(page.chat_id)["userData"]["seen"] == "2026-12-07T12:00:00.000Z"


@virtual_time
async def test_a_restore_without_a_notification_within_10_s_is_a_restore_failure():
    """COMPAT.md CometD 9: the restore's requestNotifications gets no notification within 10 s
    (the connects that carry them hang) -> restoreFailed, no active session; nothing left pending."""
    gms = mock_gms()
    storage = MemoryStorage()
    first = Page(gms, storage=storage, config={"cometD": dict(COMETD)}).boot()
    await started(first)
    await first.service.push.close()  # the page unloads
    gms.cometd.faults.add("connect", "delay", count=-1, delay_ms=60_000)
    second = Page(gms, storage=storage, config={"cometD": dict(COMETD)}).boot()
    begun = asyncio.get_running_loop().time()
    await second.wait_for(lambda: "restoreFailed" in second.names(), timeout=30)
    assert 10 <= asyncio.get_running_loop().time() - begun < 15
    assert "restored" not in second.names() and not second.service.session.active


@virtual_time
async def test_failed_connects_back_off_one_second_more_each_up_to_a_minute():
    """COMPAT.md CometD 5: after each failed /meta/connect the client waits 1 s more than after
    the one before, up to 60 s."""
    gms = mock_gms()
    page = cometd_page(gms).boot()
    await started(page)
    inner = page.transport.inner
    attempts: list[float] = []

    async def down(url, payload, *, headers, timeout):
        from cxkit.gms import HttpResponse
        attempts.append(asyncio.get_running_loop().time())
        return HttpResponse(0, "", "error")

    inner.post_json = down
    gms.cometd.bayeux.close_all()  # release the held connect so the next one fails
    await page.wait_for(lambda: len(attempts) >= 64, timeout=4000)
    gaps = [round(b - a) for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps[:62] == [*range(1, 61), 60, 60], gaps


@virtual_time
async def test_a_second_reload_long_after_the_first_still_restores_the_chat():
    """Nothing polls in CometD mode, so no ping is kept fresh: a ping written at the first restore
    made a reload more than restoreTimeout (60 s) after it give up the live chat."""
    gms = mock_gms()
    storage = MemoryStorage()
    first = Page(gms, storage=storage, config={"cometD": dict(COMETD)}).boot()
    await started(first)
    await first.service.push.close()
    second = Page(gms, storage=storage, config={"cometD": dict(COMETD)}).boot()
    await second.wait_for(lambda: second.of("restored"))
    second.agent("join")
    await second.wait_for(lambda: len(second.delivered_indexes()) == 2)
    await asyncio.sleep(120)  # the chat goes on (virtual time)
    await second.service.push.close()
    third = Page(gms, storage=storage, config={"cometD": dict(COMETD)}).boot()
    await third.wait_for(lambda: third.of("restored") or "restoreTimeout" in third.names())
    assert third.of("restored") and third.service.session.active and third.chat_id == first.chat_id
    third.agent("say", text="still here")
    await third.wait_for(lambda: "still here" in [m["text"] for d in third.of("messageReceived") for m in d["messages"]])


@pytest.mark.parametrize("websocket", [False, True], ids=["long-polling", "websocket"])
@pytest.mark.parametrize("fault", ["status1", "drop"])
@virtual_time
async def test_a_catch_up_that_fails_is_asked_again_until_answered(fault, websocket):
    """After a new handshake (the server forgot the client) the page asks for what came
    meanwhile; the original asked once, and a refused or lost request left the new client bound
    to no chat: the agent's messages were never delivered."""
    gms = mock_gms()
    page = CometdPage(gms, websocket=websocket, config={"cometD": dict(COMETD)}).boot()
    await started(page)
    gms.cometd.bayeux.close_all()
    gms.fault("refresh", fault, count=1)
    page.agent("join")
    page.agent("say", text="missed")
    await page.wait_for(lambda: page.delivered_indexes() == [1, 2, 3])
    page.agent("say", text="later")
    await page.wait_for(lambda: page.delivered_indexes() == [1, 2, 3, 4])
    assert [c["chats"] for c in gms.cometd.clients()] == [[page.chat_id]]


@virtual_time
async def test_a_restore_answered_offline_asks_again_and_brings_history_then_news():
    """Nothing polls in CometD mode: after restoredOffline the page asks again until answered."""
    gms = mock_gms()
    storage = MemoryStorage()
    first = Page(gms, storage=storage, config={"cometD": dict(COMETD)}).boot()
    await started(first)
    first.agent("join")
    first.agent("say", text="before")
    await first.wait_for(lambda: len(first.delivered_indexes()) == 3)
    await first.service.push.close()
    gms.fault("refresh", "status1", count=1)
    first.agent("say", text="while away")
    second = Page(gms, storage=storage, config={"cometD": dict(COMETD)}).boot()
    await second.wait_for(lambda: len(second.delivered_indexes()) == 4)
    assert "restoredOffline" in second.names() and second.service.session.active
    history, live = second.of("messageReceived")
    assert history["restoring"] is True and [m["index"] for m in history["messages"]] == [1, 2, 3]
    assert live["restoring"] is False and [m["text"] for m in live["messages"]] == ["while away"]
    second.agent("say", text="after")
    await second.wait_for(lambda: len(second.delivered_indexes()) == 5)


@virtual_time
async def test_a_server_that_advises_no_reconnect_is_heard_and_the_chat_goes_on_with_a_new_client():
    """advice.reconnect "none" stops the connects (as CometD does): the page hears
    ``disconnected`` (it was a silent stop, no message ever again), and a new client asks for
    what came meanwhile after the longest back-off (a minute)."""
    gms = mock_gms()
    page = cometd_page(gms)
    inner, armed = page.scripted.post_json, [False]

    async def post_json(url, payload, *, headers, timeout):
        reply = await inner(url, payload, headers=headers, timeout=timeout)
        if armed[0] and url.endswith("/connect") and reply.status == 200:
            armed[0] = False
            answers = json.loads(reply.text)
            for answer in answers:
                if answer.get("channel") == "/meta/connect":
                    answer.update(successful=False, error="408::session expired", advice={"reconnect": "none"})
            return HttpResponse(200, json.dumps(answers), "OK")
        return reply

    page.scripted.post_json = post_json
    page.boot()
    await started(page)
    armed[0] = True
    for session in list(gms.cometd.bayeux.sessions.values()):  # the held connect answers now
        gms.cometd.bayeux.deliver(session.client_id, {"channel": "/test/wake", "data": {}})
    await page.wait_for(lambda: "disconnected" in page.names())
    page.agent("join")
    page.agent("say", text="are you there?")
    await page.wait_for(lambda: page.delivered_indexes() == [1, 2, 3], timeout=90)
    assert page.names().index("disconnected") < page.names().index("reconnected")
    assert page.service.push.bayeux.running and page.service.session.active


@virtual_time
async def test_a_chat_that_comes_after_start_chat_gave_up_is_ended():
    """startChat rejects when no notification comes within 10 s; GMS may still make the chat
    later: it is ended (disconnect), not left waiting on the server for an agent nobody hears."""
    gms = mock_gms()
    page = CometdPage(gms, websocket=True, config={"cometD": dict(COMETD)}).boot()
    await settle()
    gms.fault("requestChat", "delay", delay_ms=11000, count=1)
    failure = await page.reject("startChat", {"nickname": "Nick"})
    assert failure["status"] == 0 and not page.service.session.active
    await page.wait_for(lambda: gms.chats() and gms.chats()[0]["state"] == "ended", timeout=60)
    assert not page.service.session.active and "started" not in page.names()
    body = await started(page)  # the page can start a chat of its own afterwards
    assert body["chatId"] != gms.chats()[0]["chatId"]
