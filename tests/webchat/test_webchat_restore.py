"""Restore after a reload (B.6): no duplicates, no loss, restoreTimeout, restoreFailed, lock."""

import asyncio

from webchat_harness import Page, mock_gms, settle
from webchat_vclock import virtual_time

from cxkit.webchat import messages as msg


async def chat_then_reload(gms, *, while_away=(), **config):
    first = Page(gms, config=config).boot()
    await first.start()
    await first.cmd("addPrefilter", {"filters": {"source": "secret", "flags": ""}})
    first.agent("join")
    first.agent("say", text="Hello")
    first.agent("say", text="a secret")
    await first.wait_for(lambda: first.service.session.transcript.next_index == 5)
    await first.cmd("stopPoll")  # the page unloads
    for text in while_away:
        first.agent("say", text=text)
    second = Page(gms, storage=first.storage, config=config).boot()
    return first, second


@virtual_time
async def test_reload_restores_history_once_and_new_messages_as_live():
    gms = mock_gms()
    first, second = await chat_then_reload(gms, while_away=["while you were away"])
    assert first.storage.values["_genesys.widgets.webchat.state.filters"] == \
        '{"custom":[{"source":"secret","flags":""}]}'
    await second.wait_event("pollingStarted")
    names = second.names(data=False, ajax=True)
    assert names[:2] == ["ready", "restored"]
    assert names[-4:] == ["messageReceived", "messageReceived", "ajaxResponse", "pollingStarted"]
    assert "clientConnected" in names and "agentConnected" in names
    history, live = second.of("messageReceived")
    assert history["restoring"] is True and live["restoring"] is False
    assert [m["index"] for m in history["messages"]] == [1, 2, 3]  # 4 ('a secret') stays hidden
    assert all(m["restoring"] for m in history["messages"])
    assert [(m["index"], m["text"]) for m in live["messages"]] == [(5, "while you were away")]
    assert "restoring" not in live["messages"][0]
    refresh = second.transport.sent[0]
    assert refresh["op"] == "refresh" and ("transcriptPosition", "1") in refresh["fields"]
    assert await second.cmd("verifySession") == {"sessionActive": True}
    assert (await second.cmd("getSessionData"))["sessionID"] == first.chat_id
    # polling goes on from the right position, and nothing comes twice
    second.agent("say", text="after")
    await second.wait_for(lambda: 6 in second.delivered_indexes())
    await asyncio.sleep(10)
    assert second.delivered_indexes() == [1, 2, 3, 5, 6]


@virtual_time
async def test_restore_without_index_cookie_treats_everything_as_history():
    gms = mock_gms()
    first, second = await chat_then_reload(gms)
    del first.storage.values["_genesys.widgets.webchat.state.index"]
    await second.wait_event("pollingStarted")
    (history,) = second.of("messageReceived")
    assert history["restoring"] is True and [m["index"] for m in history["messages"]] == [1, 2, 3]


@virtual_time
async def test_restore_timeout_after_restore_timeout_ms():
    gms = mock_gms()
    first = Page(gms).boot()
    await first.start()
    await first.cmd("stopPoll")
    await asyncio.sleep(61)
    second = Page(gms, storage=first.storage).boot()
    await settle()
    assert second.names(data=False) == ["ready", "restoreTimeout"]
    assert second.transport.sent == []
    assert "_genesys.widgets.webchat.state.session" not in second.storage.values
    assert await second.cmd("verifySession") == {"sessionActive": False}


@virtual_time
async def test_restore_timeout_config_is_honoured():
    gms = mock_gms()
    first = Page(gms).boot()
    await first.start()
    await first.cmd("stopPoll")
    await asyncio.sleep(5)
    second = Page(gms, storage=first.storage, config={"restoreTimeout": 4000}).boot()
    await settle()
    assert "restoreTimeout" in second.names()


@virtual_time
async def test_restore_of_an_ended_chat_is_restore_timeout():
    gms = mock_gms()
    first = Page(gms).boot()
    await first.start()
    await first.cmd("stopPoll")
    first.agent("end")
    second = Page(gms, storage=first.storage).boot()
    await second.wait_event("restoreTimeout")
    assert "restored" not in second.names()
    assert "_genesys.widgets.webchat.state.session" not in second.storage.values


@virtual_time
async def test_restore_failed_on_network_failure_keeps_the_cookies():
    gms = mock_gms()
    first = Page(gms).boot()
    await first.start()
    await first.cmd("stopPoll")
    gms.fault("refresh", "drop", count=1)
    second = Page(gms, storage=first.storage).boot()
    await second.wait_event("restoreFailed")
    assert second.storage.values["_genesys.widgets.webchat.state.session"] == first.chat_id
    # the service itself may retry; a foreign plugin may not
    assert await second.reject("restore") == msg.ACCESS_DENIED_RESTORE
    assert await second.service.plugin.command("WebChatService.restore") is None
    await settle()
    assert "restored" in second.names()


@virtual_time
async def test_restore_command_rejections():
    gms = mock_gms()
    page = Page(gms).boot()
    await settle()
    own = page.service.plugin
    rejected = []
    own.command("WebChatService.restore").fail(lambda *a: rejected.append(a))
    await settle()
    assert rejected == [()]  # no session to find: rejected with nothing
    await page.start()
    rejected.clear()
    own.command("WebChatService.restore").fail(lambda *a: rejected.append(a))
    await settle()
    assert rejected == [(msg.RESTORE_SESSION_ACTIVE,)]
    assert msg.RESTORE_SESSION_ACTIVE == "Chat session is already active, ignoring restore command."
    assert msg.ALREADY_RESTORING == "Already restoring. Ignoring request."
    page.service.session.restoring = True
    page.service.session.active = False
    rejected.clear()
    own.command("WebChatService.restore").fail(lambda *a: rejected.append(a))
    await settle()
    assert rejected == [(msg.ALREADY_RESTORING,)]


@virtual_time
async def test_verify_session_waits_for_a_running_restore():
    gms = mock_gms()
    first = Page(gms).boot()
    await first.start()
    await first.cmd("stopPoll")
    gms.fault("refresh", "delay", count=1, delay_ms=2000)
    second = Page(gms, storage=first.storage, config={"ajaxTimeout": 5000}).boot()
    await settle()
    assert second.service.session.restoring
    assert await second.cmd("verifySession") == {"sessionActive": True}
    assert "restored" in second.names()


@virtual_time
async def test_start_lock_rejects_a_concurrent_start():
    gms = mock_gms()
    page = Page(gms).boot()
    first = page.deferred("startChat", {"nickname": "A"})
    second = page.deferred("startChat", {"nickname": "B"})
    results = []
    first.done(lambda b: results.append(("1", b["statusCode"])))
    second.fail(lambda r: results.append(("2", r)))
    await page.wait_for(lambda: len(results) == 2)
    assert sorted(results) == [("1", 0), ("2", {"statusCode": 1})]
    assert len(page.transport.of("requestChat")) == 1
    assert "_genesys.widgets.webchat.state.chatStartLock" not in page.storage.values
    assert await page.reject("startChat", {"nickname": "C"}) == "There is already an active chat session"


@virtual_time
async def test_start_lock_from_another_tab_expires_after_2s():
    gms = mock_gms()
    page = Page(gms).boot()
    page.storage.set("_genesys.widgets.webchat.state.chatStartLock",
                     str(int(page.service.now())))
    assert await page.reject("startChat", {"nickname": "A"}) == {"statusCode": 1}
    await asyncio.sleep(2)
    assert (await page.cmd("startChat", {"nickname": "A"}))["statusCode"] == 0


async def chat_left_on_reload(gms, **config):
    """A chat with messages 1..3 (client joined, agent joined, 'old'), the page unloaded."""
    first = Page(gms, config=config).boot()
    await first.start()
    first.agent("join")
    first.agent("say", text="old")
    await first.wait_for(lambda: first.service.session.transcript.next_index == 4)
    await first.cmd("stopPoll")
    return first


@virtual_time
async def test_start_chat_during_the_automatic_restore_waits_and_the_restore_wins():
    gms = mock_gms()
    first = await chat_left_on_reload(gms)
    gms.fault("refresh", "delay", count=1, delay_ms=1000)
    second = Page(gms, storage=first.storage).boot()
    await settle()
    assert second.service.session.restoring
    assert await second.reject("startChat", {"nickname": "New"}) == msg.ALREADY_ACTIVE
    assert second.transport.of("requestChat") == []  # no second chat was asked for
    assert len(gms.chats()) == 1
    assert second.chat_id == first.chat_id
    await asyncio.sleep(5)
    assert second.names(data=False).count("restored") == 1
    assert second.delivered_indexes() == [1, 2, 3]


@virtual_time
async def test_start_chat_during_a_failing_restore_starts_a_clean_chat():
    gms = mock_gms()
    first = await chat_left_on_reload(gms)
    first.agent("end")
    gms.fault("refresh", "delay", count=1, delay_ms=1000)
    second = Page(gms, storage=first.storage).boot()
    await settle()
    body = await second.cmd("startChat", {"nickname": "New"})
    assert second.names(data=False)[:3] == ["ready", "restoreTimeout", "started"]
    assert body["chatId"] == second.chat_id != first.chat_id
    second.agent("join")
    second.agent("say", text="new")
    await second.wait_for(lambda: 3 in second.delivered_indexes())
    await asyncio.sleep(5)
    assert second.delivered_indexes() == [1, 2, 3]  # the new chat's, each once
    assert [m["text"] for m in second.service.session.transcript.as_result()["messages"]][-1] == "new"
    assert "restored" not in second.names()
    assert second.storage.values["_genesys.widgets.webchat.state.session"] == second.chat_id


@virtual_time
async def test_restore_that_finishes_during_start_chat_wins_and_the_new_chat_is_ended():
    gms = mock_gms()
    first = await chat_left_on_reload(gms)
    cookies = dict(first.storage.values)
    second = Page(gms).boot()  # no session cookie yet: no automatic restore
    await settle()
    gms.fault("requestChat", "delay", count=1, delay_ms=1000)
    start = second.deferred("startChat", {"nickname": "New"})
    outcome = []
    start.done(lambda *a: outcome.append(("resolved", a))).fail(lambda r: outcome.append(r))
    await asyncio.sleep(0.1)
    second.storage.values.update(cookies)  # another tab's chat becomes visible
    await second.service.plugin.command("WebChatService.restore")
    await second.wait_for(lambda: outcome)
    assert outcome == [msg.ALREADY_ACTIVE]
    assert second.chat_id == first.chat_id
    (orphan,) = [c for c in gms.chats() if c["chatId"] != first.chat_id]
    assert orphan["state"] == "ended"  # not left waiting on GMS for an agent
    assert gms.chat(first.chat_id)["state"] != "ended"
    assert "started" not in second.names()


@virtual_time
async def test_start_chat_that_finishes_during_a_restore_wins_and_the_restore_stands_down():
    gms = mock_gms()
    first = await chat_left_on_reload(gms)
    cookies = dict(first.storage.values)
    second = Page(gms).boot()
    await settle()
    gms.fault("requestChat", "delay", count=1, delay_ms=500)
    gms.fault("refresh", "delay", count=1, delay_ms=2000)
    start = second.deferred("startChat", {"nickname": "New"})
    await asyncio.sleep(0.1)
    second.storage.values.update(cookies)
    restore = second.service.plugin.command("WebChatService.restore")
    rejected = []
    restore.fail(lambda *a: rejected.append(a))
    body = await start
    assert body["chatId"] == second.chat_id != first.chat_id
    second.agent("join")
    second.agent("say", text="new")
    await asyncio.sleep(5)
    assert rejected == [()]
    assert not second.service.session.restoring
    assert "restored" not in second.names()
    assert second.chat_id == body["chatId"]
    assert second.delivered_indexes() == [1, 2, 3]
    assert second.storage.values["_genesys.widgets.webchat.state.session"] == body["chatId"]


@virtual_time
async def test_configure_again_after_a_restore_restores_nothing_more():
    """README: configure can be called again (the App does): options change, no second `ready`,
    no second restore."""
    gms = mock_gms()
    first = Page(gms).boot()
    await first.start()
    await first.cmd("stopPoll")
    second = Page(gms, storage=first.storage).boot()
    await second.wait_event("restored")
    refreshes = len(second.transport.of("refresh"))
    mark = second.mark()
    await second.cmd("configure", {"ajaxTimeout": 4000})
    await settle()
    assert second.service.config.ajax_timeout == 4000
    assert "restored" not in second.names(mark) and "ready" not in second.names(mark)
    positions = [dict(r["fields"]).get("transcriptPosition") for r in second.transport.of("refresh")[refreshes:]]
    assert "1" not in positions, positions   # polling goes on; nothing asks for the transcript again


@virtual_time
async def test_a_restore_answered_offline_brings_the_history_as_history_with_the_first_answer():
    """restoredOffline: the refresh was refused (statusCode 1), so the transcript comes with the
    next poll; the messages shown before the reload still come as history (restoring: true),
    only those of the time away as live, and each once."""
    gms = mock_gms()
    first = Page(gms).boot()
    await first.start()
    first.agent("join")
    first.agent("say", text="before")
    await first.wait_for(lambda: first.service.session.transcript.next_index == 4)
    await first.cmd("stopPoll")  # the page unloads
    gms.fault("refresh", "status1", count=1)
    first.agent("say", text="while away")
    second = Page(gms, storage=first.storage).boot()
    await second.wait_for(lambda: len(second.delivered_indexes()) == 4)
    assert "restoredOffline" in second.names()
    history, live = second.of("messageReceived")
    assert history["restoring"] is True and [m["index"] for m in history["messages"]] == [1, 2, 3]
    assert live["restoring"] is False and [m["text"] for m in live["messages"]] == ["while away"]


@virtual_time
async def test_messages_sent_while_the_restore_runs_wait_for_it_and_go_in_order():
    """After a reload the visitor may type before the restore has its answer: the message goes
    to the restored chat (it was rejected 'There is no active chat session')."""
    gms = mock_gms()
    first = Page(gms).boot()
    await first.start()
    await first.cmd("stopPoll")
    gms.fault("refresh", "delay", delay_ms=2000, count=1)
    second = Page(gms, storage=first.storage).boot()
    await second.wait_for(lambda: second.service.session.restoring)
    sends = [second.deferred("sendMessage", {"message": text}) for text in ("one", "two")]
    typing = second.deferred("sendTyping", {"message": "thr"})
    await second.wait_for(lambda: all(d.state() != "pending" for d in [*sends, typing]))
    assert [d.state() for d in [*sends, typing]] == ["resolved"] * 3 and second.of("restored")
    assert [m["text"] for m in gms.chat(first.chat_id)["messages"] if m["type"] == "Message"] == ["one", "two"]


@virtual_time
async def test_a_message_sent_while_a_failing_restore_runs_is_rejected_when_it_fails():
    gms = mock_gms()
    first = Page(gms).boot()
    await first.start()
    await first.cmd("stopPoll")
    gms.fault("refresh", "delay", delay_ms=2000, count=1)
    second = Page(gms, storage=first.storage, config={"ajaxTimeout": 1000}).boot()  # no answer in time
    await settle()
    assert second.service.session.restoring
    assert await second.reject("sendMessage", {"message": "lost?"}) == msg.NO_ACTIVE_SESSION
    assert "restoreFailed" in second.names()
