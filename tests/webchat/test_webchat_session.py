"""startChat / messages / endChat against the mock GMS: requests, resolutions, event orders."""

import asyncio

from webchat_harness import BASE, Page, mock_gms, settle
from webchat_vclock import virtual_time

from cxkit.gms import HttpResponse
from cxkit.webchat import PageInfo
from cxkit.webchat import messages as msg


@virtual_time
async def test_page_load_publishes_data_ready_then_user_data():
    page = Page(mock_gms()).boot()
    await settle()
    assert page.names() == ["data.sleeping", "data.sessionActive", "ready", "data.userData"]
    assert page.of("data.userData")[0]["value"] == {"a": "1"}
    assert await page.cmd("verifySession") == {"sessionActive": False}
    assert await page.cmd("getSessionData") == {"sessionID": "", "userId": "", "secureKey": "", "alias": ""}
    assert page.transport.sent == []


@virtual_time
async def test_a_page_info_provider_is_asked_as_each_chat_starts():
    """A single-page app moves (pushState) and retitles itself after the widget booted: the chat
    reports the page as it is when the chat starts."""
    where = {"url": "http://shop.test/home", "title": "Home"}
    page = Page(mock_gms()).boot(page_info=lambda: PageInfo(url=where["url"], title=where["title"]))
    await settle()
    where.update(url="http://shop.test/checkout?step=2", title="Checkout")
    await page.start()
    fields = dict(page.transport.sent[0]["fields"])
    assert (fields["userData[_genesys_url]"], fields["userData[_genesys_pageTitle]"]) == (
        "http://shop.test/checkout?step=2", "Checkout")
    assert page.service.page_info == PageInfo(url="http://shop.test/checkout?step=2", title="Checkout")


@virtual_time
async def test_start_chat_request_resolution_and_events():
    page = Page(mock_gms()).boot()
    await settle()
    mark = page.mark()
    body = await page.cmd("startChat", {"nickname": "Nick", "firstname": "First", "lastname": "Last",
                                        "email": "a@b.c", "subject": "Subj", "userData": {"u": "3"}})
    assert body["statusCode"] == 0 and body["chatId"] == page.chat_id
    request = page.transport.sent[0]
    assert request["url"] == BASE + "/"
    assert request["fields"] == [
        ("alias", ""), ("secureKey", ""), ("userId", ""), ("nickname", "Nick"),
        ("firstName", "First"), ("lastName", "Last"), ("emailAddress", "a@b.c"),
        ("subject", "Subj"), ("text", ""), ("userData[GCTI_LanguageCode]", "en"),
        ("userData[a]", "1"), ("userData[u]", "3"), ("userData[_genesys_source]", "web"),
        ("userData[_genesys_referrer]", ""), ("userData[_genesys_url]", "http://shop.test/p"),
        ("userData[_genesys_pageTitle]", "Shop"), ("userData[_genesys_browser]", "Chrome"),
        ("userData[_genesys_OS]", "Linux"), ("userData[_genesys_widgets]", "9.0.018.07")]
    assert request["timeout"] == 3.0 and "apikey" not in request["headers"]
    assert page.names(mark, ajax=True) == ["data.userData", "data.sessionActive", "started",
                                           "ajaxResponse", "pollingStarted"]
    assert page.of("data.userData")[-1]["value"] == {"a": "1", "u": "3"}
    started = page.of("started")[0]
    assert started == {"sessionID": body["chatId"], "userId": body["userId"],
                       "secureKey": body["secureKey"], "alias": body["alias"]}
    # The start answer's own messages come with the first refresh, one tick later.
    mark = page.mark()
    await page.wait_for(lambda: page.of("messageReceived"))
    refresh = page.transport.of("refresh")[0]
    assert refresh["time"] - page.transport.sent[0]["time"] <= 0.25 + 1e-9
    assert refresh["url"] == f"{BASE}/{page.chat_id}/refresh"
    assert refresh["fields"] == [("alias", body["alias"]), ("secureKey", body["secureKey"]),
                                 ("userId", body["userId"]), ("transcriptPosition", "1"),
                                 ("message", "")]
    assert page.names(mark) == ["clientConnected", "messageReceived"]
    connected = page.of("clientConnected")[0]
    assert connected["agents"] == {} and connected["numAgentsConnected"] == 0
    received = page.of("messageReceived")[0]
    assert set(received) == {"originalMessages", "messages", "restoring", "sessionData",
                             "oldMessages", "idleTimeCountDown"}
    assert received["restoring"] is False and received["oldMessages"] is False
    assert received["sessionData"] == started
    assert [m["type"] for m in received["messages"]] == ["ParticipantJoined"]
    assert received["originalMessages"][0]["index"] == 1
    # cookies as the original writes them
    values = page.storage.values
    assert values["_genesys.widgets.webchat.state.session"] == page.chat_id
    assert values["_genesys.widgets.app.autoLoadList"] == '{"WebChatService":true}'
    assert int(values["_genesys.widgets.webchat.state.index"]) == 2
    assert await page.cmd("verifySession") == {"sessionActive": True}
    assert await page.cmd("getSessionData") == started


@virtual_time
async def test_agent_join_type_say_events_and_normalization():
    page = Page(mock_gms()).boot()
    await page.start()
    mark = page.mark()
    page.agent("join")
    await page.wait_event("agentConnected")
    joined = page.of("agentConnected")[0]
    agent = joined["agents"]["2"]
    assert (agent["name"], agent["connected"], agent["supervisor"], agent["disconnectedTime"]) == \
        ("Anna", True, False, False)
    assert joined["numAgentsConnected"] == 1 and joined["message"]["type"] == "ParticipantJoined"
    page.agent("typing")
    await page.wait_event("agentTypingStarted")
    page.agent("say", text="Hello")
    await page.wait_event("agentTypingStopped")
    await page.wait_for(lambda: len(page.of("messageReceived")) == 4)
    assert page.names(mark) == [
        "agentConnected", "messageReceived",
        "data.agentTyping", "agentTypingStarted", "messageReceived",
        "data.agentTyping", "agentTypingStopped", "messageReceived"]
    assert page.of("agentTypingStarted")[0]["isTyping"] is True
    assert page.of("agentTypingStopped")[0] == {}  # implied stop: empty data
    hello = page.of("messageReceived")[-1]["messages"][0]
    raw = page.of("messageReceived")[-1]["originalMessages"][0]
    assert hello == {"text": "Hello", "type": "Message", "index": 4, "timestamp": raw["utcTime"],
                     "html": None, "bubble": None, "userData": None,
                     "from": {"id": 2, "type": "Agent", "name": "Anna"}}
    assert page.delivered_indexes() == [1, 2, 3, 4]
    count = len(page.transport.of("refresh"))
    await page.wait_for(lambda: len(page.transport.of("refresh")) > count)
    assert page.transport.of("refresh")[-1]["fields"][3] == ("transcriptPosition", "5")


@virtual_time
async def test_send_message_and_the_echo():
    page = Page(mock_gms()).boot()
    await page.start()
    body = await page.cmd("sendMessage", {"message": "hi"})
    assert body["statusCode"] == 0
    send = page.transport.of("send")[0]
    assert send["fields"][3:] == [("message", "hi"), ("messageType", "text")]
    await page.wait_for(lambda: 2 in page.delivered_indexes())
    echoed = page.of("messageReceived")[-1]["messages"][0]
    assert (echoed["text"], echoed["from"]["type"]) == ("hi", "Client")
    await page.cmd("sendMessage", {"message": "re", "type": "html", "parentMessageID": 7})
    assert page.transport.of("send")[1]["fields"][3:] == [
        ("message", "re"), ("messageType", "html"),
        ("eventAttributes", '{"general-properties":{"related-event-id":"7"}}')]


@virtual_time
async def test_send_message_rejections():
    page = Page(mock_gms(), config={"maxMessageLength": 5}).boot()
    assert await page.reject("sendMessage", {"message": "hi"}) == msg.NO_ACTIVE_SESSION
    await page.start()
    for options in ({}, {"message": ""}, None):
        assert await page.reject("sendMessage", options) == "No message text provided"
    assert await page.reject("sendMessage", {"message": "toolong"}) == \
        "Message length exceeds configured threshold of 5 characters"
    assert page.transport.of("send") == []


@virtual_time
async def test_end_chat_resolves_and_runs_the_local_end_sequence():
    page = Page(mock_gms()).boot()
    await page.start()
    await page.cmd("addPrefilter", {"filters": {"source": "x", "flags": ""}})
    page.agent("join")
    await page.wait_event("agentConnected")
    mark = page.mark()
    body = await page.cmd("endChat")
    assert body["statusCode"] == 0 and body["chatEnded"] is True
    disconnect = page.transport.sent[-1]
    assert disconnect["op"] == "disconnect" and len(disconnect["fields"]) == 3
    assert page.names(mark) == ["pollingStopped", "data.sessionActive", "supervisorDisconnected",
                                "agentDisconnected", "clientDisconnected", "ended"]
    assert page.of("agentDisconnected")[-1] == {"numAgentsConnected": 0}
    values = page.storage.values
    for name in ("session", "keys", "index", "ping", "filters"):
        assert f"_genesys.widgets.webchat.state.{name}" not in values
    assert values["_genesys.widgets.app.autoLoadList"] == '{"WebChatService":false}'
    transcript = await page.cmd("getTranscript")
    assert [m["index"] for m in transcript["messages"]] == [1, 2]
    assert await page.cmd("getSessionData") == {"sessionID": "", "userId": "", "secureKey": "", "alias": ""}
    assert await page.reject("endChat") == msg.NO_ACTIVE_SESSION
    assert await page.cmd("getAgents") == {"agents": {}}
    # no more polling after the end
    count = len(page.transport.sent)
    await asyncio.sleep(10)
    assert len(page.transport.sent) == count


@virtual_time
async def test_end_chat_network_failure_rejects_and_still_runs_the_local_end_sequence():
    """README: a network failure of the disconnect request rejects endChat, and the local end
    sequence runs either way (the chat stays open at GMS: the request never reached it)."""
    page = Page(mock_gms()).boot()
    await page.start()
    page.agent("join")
    await page.wait_event("agentConnected")
    # What HttpxTransport answers for a request that got no HTTP answer at all.
    page.scripted.answer("disconnect", HttpResponse(0, "", "error"))
    assert "_genesys.widgets.webchat.state.session" in page.storage.values
    mark = page.mark()
    failure = await page.reject("endChat")
    assert failure == {"readyState": 0, "status": 0, "statusText": "error", "responseText": ""}
    assert len(page.transport.of("disconnect")) == 1
    # A network failure during a chat is `disconnected`, not `error`; then the whole end sequence.
    assert page.names(mark) == ["pollingStopped", "disconnected", "data.sessionActive",
                                "supervisorDisconnected", "agentDisconnected", "clientDisconnected",
                                "ended"]
    assert page.service.session.active is False
    assert await page.cmd("verifySession") == {"sessionActive": False}
    assert await page.cmd("getSessionData") == {"sessionID": "", "userId": "", "secureKey": "", "alias": ""}
    assert "_genesys.widgets.webchat.state.session" not in page.storage.values
    assert await page.reject("endChat") == msg.NO_ACTIVE_SESSION
    count = len(page.transport.sent)
    await asyncio.sleep(10)
    assert len(page.transport.sent) == count  # no more polling, and no reconnected
    assert "reconnected" not in page.names(mark)


@virtual_time
async def test_server_side_end_sequence():
    page = Page(mock_gms()).boot()
    await page.start()
    page.agent("join")
    await page.wait_event("agentConnected")
    mark = page.mark()
    page.agent("notice", text="bye")
    page.agent("end")
    await page.wait_event("ended")
    await settle()
    names = page.names(mark)
    # The mock's Notice comes from the system party, so only the agent leaving implies a typing stop.
    assert names == ["agentDisconnected", "data.agentTyping", "agentTypingStopped", "messageReceived",
                     "data.sessionActive", "ended", "pollingStopped"]
    assert "clientDisconnected" not in names and "supervisorDisconnected" not in names
    assert names.index("messageReceived") < names.index("ended")
    assert await page.reject("endChat") == msg.NO_ACTIVE_SESSION
    assert await page.cmd("verifySession") == {"sessionActive": False}


@virtual_time
async def test_ajax_response_follows_successful_requests():
    page = Page(mock_gms()).boot()
    await page.start()
    mark = page.mark()
    body = await page.cmd("sendMessage", {"message": "hi"})
    assert page.names(mark, ajax=True).count("ajaxResponse") == 1
    assert page.of("ajaxResponse")[-1] == body


@virtual_time
async def test_language_comes_from_the_app_and_apikey_is_sent():
    from cxkit.bus import install_app

    gms = mock_gms(apikey="K")
    page = Page(gms, config={"apikey": "K"})
    install_app(page.bus, {"main": {"lang": "de"}})
    page.boot()
    await page.start()
    assert ("userData[GCTI_LanguageCode]", "de") in page.transport.of("requestChat")[0]["fields"]
    assert page.gms.chat(page.chat_id)["userData"]["GCTI_LanguageCode"] == "de"
    page.bus.command("App.setLanguage", {"lang": "sv"})
    await page.cmd("endChat")
    await page.start()
    assert page.gms.chat(page.chat_id)["userData"]["GCTI_LanguageCode"] == "sv"


@virtual_time
async def test_the_agents_last_words_in_a_poll_in_flight_at_end_chat_are_delivered_before_the_end():
    """A slow poll carried the agent's message when the visitor ended the chat: its answer came
    after the disconnect's and was dropped (as the original's), the message lost."""
    gms = mock_gms()
    page = Page(gms).boot()
    await page.start()
    page.agent("join")
    await page.wait_event("agentConnected")
    gms.fault("refresh", "delay", count=1, delay_ms=1500)
    page.agent("say", text="your order number is 42")
    await page.wait_for(lambda: page.transport.in_flight.get("refresh"), step=0.01)
    mark = page.mark()
    await page.cmd("endChat")
    names = page.names(mark, data=False)
    texts = [m["text"] for d in page.of("messageReceived") for m in d["messages"] if m["type"] == "Message"]
    assert texts == ["your order number is 42"]
    assert names.index("messageReceived") < names.index("ended") and names[-4:] == [
        "supervisorDisconnected", "agentDisconnected", "clientDisconnected", "ended"]  # the local end sequence


@virtual_time
async def test_a_second_end_chat_while_the_first_is_under_way_sends_nothing():
    """A double click: one disconnect, one end sequence; the second is rejected as after an end."""
    page = Page(mock_gms()).boot()
    await page.start()
    first, second = page.deferred("endChat"), page.deferred("endChat")
    await page.wait_for(lambda: first.state() != "pending" and second.state() != "pending")
    assert first.state() == "resolved" and second.state() == "rejected"
    assert list(second.debug()["args"]) == [msg.NO_ACTIVE_SESSION]
    assert len(page.transport.of("disconnect")) == 1 and page.names().count("ended") == 1
    assert page.of("ajaxResponse")[-1]["statusCode"] == 0
