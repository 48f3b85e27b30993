"""Two tabs of one site (`cxkit.webchat.tabs`): pages sharing one cookie storage, each with its
own WebChatService, told by the glue when the cookies changed."""

import asyncio

from cometd_page import CometdPage, started
from webchat_harness import Page, mock_gms, settle
from webchat_vclock import virtual_time

from cxkit.gms import HttpResponse
from cxkit.webchat import MemoryStorage
from cxkit.webchat import messages as msg
from cxkit.webchat.cookies import KEYS, SESSION
from cxkit.webchat.tabs import cookies_changed

GMS = "http://gms.test"
COMETD = {"enabled": True, "cometURL": GMS + "/genesys/cometd",
          "channel": "/service/chatV2/customer-support", "apiURL": GMS + "/genesys/2/chat-ntf"}


def tabs(gms, **config):
    a = Page(gms, config=config).boot()
    b = Page(gms, storage=a.storage, config=config).boot()
    return a, b


async def tabs_in_one_chat():
    """Tab A started a chat and tab B picked it up (its cookies changed) and polls it."""
    gms = mock_gms()
    a, b = tabs(gms)
    await a.start()
    cookies_changed(b.service)
    await b.wait_event("pollingStarted")
    return gms, a, b


def texts(page):
    return [m["text"] for d in page.of("messageReceived") for m in d["messages"] if m.get("text")]


@virtual_time
async def test_a_tab_without_a_chat_picks_up_the_chat_another_tab_started():
    gms = mock_gms()
    a, b = tabs(gms)
    await settle()
    assert cookies_changed(b.service) is None  # nothing there yet
    await a.start()
    a.agent("join")
    a.agent("say", text="hello")
    await a.wait_for(lambda: "hello" in texts(a))
    assert cookies_changed(b.service) == "restore"
    await b.wait_event("pollingStarted")
    assert b.chat_id == a.chat_id
    assert b.names(data=False)[:2] == ["ready", "restored"]
    assert await b.cmd("verifySession") == {"sessionActive": True}
    a.agent("say", text="to both")
    for page in (a, b):
        await page.wait_for(lambda page=page: "to both" in texts(page))
    await asyncio.sleep(5)
    for page in (a, b):
        indexes = page.delivered_indexes()
        assert indexes == sorted(set(indexes)) and texts(page).count("to both") == 1
    assert texts(b).count("hello") == 1
    assert len(gms.chats()) == 1


@virtual_time
async def test_changes_before_the_restore_ran_start_one_restore():
    gms = mock_gms()
    a, b = tabs(gms)
    await a.start()
    assert cookies_changed(b.service) == "restore"
    assert cookies_changed(b.service) is None  # already restoring
    await b.wait_event("pollingStarted")
    assert cookies_changed(b.service) is None  # the same chat
    await asyncio.sleep(2)
    assert b.names(data=False).count("restored") == 1
    assert len([r for r in b.transport.of("refresh") if ("transcriptPosition", "1") in r["fields"]]) == 1


@virtual_time
async def test_start_chat_while_the_other_tabs_chat_is_being_picked_up_rejects_without_a_request():
    gms = mock_gms()
    a, b = tabs(gms)
    await a.start()
    gms.fault("refresh", "delay", count=1, delay_ms=1000)
    cookies_changed(b.service)
    assert await b.reject("startChat", {"nickname": "B"}) == msg.ALREADY_ACTIVE
    assert b.transport.of("requestChat") == []
    assert b.chat_id == a.chat_id and len(gms.chats()) == 1


@virtual_time
async def test_a_tab_whose_chat_was_ended_in_another_tab_asks_gms_at_once():
    gms, a, b = await tabs_in_one_chat()
    await asyncio.sleep(20)  # quiet: the tabs poll every 3 s now (pollRateMax)
    assert b.service.polling.rate == 3000
    mark = b.mark()
    await a.cmd("endChat")
    assert SESSION not in a.storage.values
    assert cookies_changed(b.service) == "poll"
    await b.wait_event("ended", timeout=0.5)
    assert b.names(mark, data=False)[-3:] == ["messageReceived", "ended", "pollingStopped"]
    assert "clientDisconnected" in b.names(mark)
    assert await b.reject("sendMessage", {"message": "late"}) == msg.NO_ACTIVE_SESSION
    assert await b.cmd("verifySession") == {"sessionActive": False}
    assert cookies_changed(b.service) is None


@virtual_time
async def test_a_tab_with_its_own_chat_ignores_cookie_changes_that_keep_it():
    gms, a, b = await tabs_in_one_chat()
    before = len(b.transport.sent)
    a.storage.set("_genesys.widgets.webchat.state.ping", "1")
    assert cookies_changed(b.service) is None
    assert len(b.transport.sent) == before


@virtual_time
async def test_a_chat_that_could_not_be_picked_up_is_not_tried_at_every_change():
    gms = mock_gms()
    a, b = tabs(gms)
    await a.start()
    b.scripted.answer("refresh", HttpResponse(0, "", "network error"))
    assert cookies_changed(b.service) == "restore"
    await b.wait_event("restoreFailed")
    a.storage.set("_genesys.widgets.webchat.state.ping", "1")  # the other tab polls on
    assert cookies_changed(b.service) is None
    assert b.names(data=False).count("restoreFailed") == 1


@virtual_time
async def test_a_chat_half_written_by_the_other_tab_is_picked_up_once_its_keys_are_there():
    gms = mock_gms()
    a, b = tabs(gms)
    await a.start()
    keys = a.storage.values.pop(KEYS)  # seen between the other tab's two writes
    assert cookies_changed(b.service) is None
    assert b.transport.sent == []
    a.storage.set(KEYS, keys)
    assert cookies_changed(b.service) == "restore"
    await b.wait_event("pollingStarted")
    assert b.chat_id == a.chat_id and SESSION in a.storage.values


@virtual_time
async def test_cometd_tabs_pick_up_the_chat_and_the_end_reaches_the_other_tab():
    gms = mock_gms()
    storage = MemoryStorage()
    a, b = (CometdPage(gms, storage=storage, config={"cometD": dict(COMETD)}).boot() for _ in range(2))
    await settle()
    await started(a)
    assert cookies_changed(b.service) == "restore"
    await b.wait_for(lambda: b.service.session.active and b.of("restored"))
    assert b.chat_id == a.chat_id
    a.agent("join")
    a.agent("say", text="to both")
    for page in (a, b):
        await page.wait_for(lambda page=page: "to both" in texts(page))
    await a.cmd("endChat")
    assert cookies_changed(b.service) is None  # the server's notification ends it
    await b.wait_for(lambda: "ended" in b.names())
    assert not b.service.session.active
    for page in (a, b):
        indexes = page.delivered_indexes()
        assert indexes == sorted(set(indexes)) and texts(page).count("to both") == 1
    assert len(gms.chats()) == 1


@virtual_time
async def test_a_slow_request_chat_keeps_the_start_lock_fresh_so_another_tab_waits():
    """COMPAT.md: the start lock lasts 2 s and is refreshed every 500 ms while the request is in
    flight: a requestChat that takes 2.8 s (under the 3 s ajaxTimeout) still keeps a second tab
    from starting a second chat at 2.5 s."""
    gms = mock_gms()
    a, b = tabs(gms)
    gms.fault("requestChat", "delay", count=1, delay_ms=2800)
    first = a.deferred("startChat", {"nickname": "A"})
    await asyncio.sleep(2.5)
    assert first.state() == "pending"
    assert await b.reject("startChat", {"nickname": "B"}) == {"statusCode": 1}
    await a.wait_for(lambda: first.state() == "resolved")
    assert len(gms.requests("requestChat")) == 1 and len(gms.chats()) == 1
