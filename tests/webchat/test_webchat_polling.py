"""Polling cadence (B.5) on the virtual clock, poll commands, and server/network faults."""

import asyncio
from itertools import pairwise

import pytest
from webchat_harness import Page, mock_gms, settle
from webchat_vclock import virtual_time

from cxkit.webchat import messages as msg


def gaps_ms(page, since=0):
    times = [r["time"] for r in page.transport.of("refresh")][since:]
    return [round((b - a) * 1000) for a, b in pairwise(times)]


@virtual_time
async def test_cadence_after_start_backs_off_to_3s():
    page = Page(mock_gms()).boot()
    await page.start()
    await asyncio.sleep(30)
    first = page.transport.of("refresh")[0]["time"] - page.transport.sent[0]["time"]
    assert round(first * 1000) == 250
    assert gaps_ms(page)[:12] == [750, 750, 1000, 1250, 1250, 1500, 2000, 2250, 2750, 3000, 3000, 3000]


@virtual_time
async def test_send_speeds_polling_up_again():
    page = Page(mock_gms()).boot()
    await page.start()
    await asyncio.sleep(20)
    before = len(page.transport.of("refresh"))
    await page.cmd("sendMessage", {"message": "hi"})
    await asyncio.sleep(10)
    gaps = gaps_ms(page, before - 1)
    assert gaps[0] <= 3000 and gaps[1:6] == [750, 750, 1000, 1250, 1250]


@virtual_time
async def test_idle_rate_is_20_refreshes_a_minute():
    page = Page(mock_gms()).boot()
    await page.start()
    await asyncio.sleep(30)
    count = len(page.transport.of("refresh"))
    await asyncio.sleep(60)
    assert len(page.transport.of("refresh")) - count == 20


@virtual_time
async def test_polls_never_overlap_with_a_slow_server():
    gms = mock_gms()
    page = Page(gms, config={"ajaxTimeout": 10000}).boot()
    await page.start()
    gms.fault("refresh", "delay", count=3, delay_ms=5000)
    await asyncio.sleep(30)
    times = [r["time"] for r in page.transport.of("refresh")]
    # each delayed poll holds the next one back until its answer is in
    assert [round(b - a, 2) for a, b in pairwise(times)][1:4] == [5.25, 5.25, 5.25]
    assert page.transport.max_in_flight["refresh"] == 1
    assert page.of("disconnected") == []


@virtual_time
async def test_dynamic_polling_off_uses_poll_rate():
    page = Page(mock_gms(), config={"dynamicPolling": False, "pollRate": 2000}).boot()
    await page.start()
    await asyncio.sleep(12)
    assert set(gaps_ms(page)[1:]) == {2000}


@virtual_time
async def test_stop_and_start_poll():
    page = Page(mock_gms()).boot()
    assert await page.reject("startPoll") == "No active chat session"
    assert await page.reject("stopPoll") == "No active chat session"
    await page.start()
    assert await page.cmd("startPoll") is None  # already polling: resolves
    mark = page.mark()
    assert await page.cmd("stopPoll") is None
    assert page.names(mark) == ["pollingStopped"]
    assert await page.reject("stopPoll") == "Not currently polling. Ignoring command."
    count = len(page.transport.of("refresh"))
    await asyncio.sleep(10)
    assert len(page.transport.of("refresh")) == count
    await page.cmd("startPoll")
    assert page.names(mark) == ["pollingStopped", "pollingStarted"]
    await asyncio.sleep(1)
    assert len(page.transport.of("refresh")) > count


@virtual_time
async def test_start_poll_rejected_with_cometd():
    page = Page(mock_gms(), config={"cometD": {"enabled": True}}).boot()
    assert await page.reject("startPoll") == "Polling is not supported when using CometD"


@virtual_time
async def test_poll_is_private():
    page = Page(mock_gms()).boot()
    assert await page.reject("poll") == msg.ACCESS_DENIED
    assert page.transport.sent == []  # unlike the original, nothing is sent
    await page.start()
    assert await page.reject("poll") == \
        "Access Denied to private command. Only WebChatService is allowed to invoke this command."
    own = page.service.plugin
    await page.cmd("stopPoll")
    count = len(page.transport.of("refresh"))
    assert await own.command("WebChatService.poll") is None
    assert len(page.transport.of("refresh")) == count + 1
    page.service.polling.in_flight = True
    with pytest.raises(Exception) as info:
        await own.command("WebChatService.poll")
    assert info.value.reason == "previous poll has not finished."


@virtual_time
async def test_status1_streak_goes_offline_then_back_online():
    gms = mock_gms()
    page = Page(gms, config={"pollExceptionLimit": 2}).boot()
    await page.start()
    gms.fault("refresh", "status1", count=3)
    await page.wait_event("chatServerWentOffline")
    assert len(page.of("chatServerWentOffline")) == 1
    page.agent("join")
    await page.wait_for(lambda: page.of("agentConnected"))
    names = page.names(data=False)
    assert names.index("chatServerWentOffline") < names.index("chatServerBackOnline") < \
        names.index("agentConnected")
    assert page.delivered_indexes() == [1, 2]


@virtual_time
async def test_reset_poll_exceptions():
    gms = mock_gms()
    page = Page(gms, config={"pollExceptionLimit": 2}).boot()
    await page.start()
    gms.fault("refresh", "status1", count=2)
    await page.wait_for(lambda: page.service.session.poll_exceptions == 2)
    assert await page.cmd("resetPollExceptions") is None
    assert page.service.session.poll_exceptions == 0
    gms.fault("refresh", "status1", count=2)
    await asyncio.sleep(10)
    assert page.of("chatServerWentOffline") == []


@virtual_time
async def test_network_failure_disconnected_then_reconnected_without_loss():
    gms = mock_gms()
    page = Page(gms).boot()
    await page.start()
    gms.fault("refresh", "drop", count=2)
    page.agent("join")
    page.agent("say", text="while away")
    await page.wait_event("disconnected")
    await page.wait_event("reconnected")
    await page.wait_for(lambda: 3 in page.delivered_indexes())
    assert len(page.of("disconnected")) == 1
    assert page.delivered_indexes() == [1, 2, 3]


@virtual_time
async def test_ajax_timeout_is_a_network_failure():
    gms = mock_gms()
    page = Page(gms, config={"ajaxTimeout": 1000}).boot()
    await page.start()
    assert page.transport.sent[-1]["timeout"] == 1.0
    gms.fault("refresh", "delay", count=1, delay_ms=1500)
    await page.wait_event("disconnected")
    await page.wait_event("reconnected")


@virtual_time
async def test_ajax_timeout_0_means_no_limit():
    """README: ``ajaxTimeout`` 0 is no limit: a GMS that takes 20 s still answers the request."""
    gms = mock_gms()
    page = Page(gms, config={"ajaxTimeout": 0}).boot()
    await settle()
    gms.fault("requestChat", "delay", count=1, delay_ms=20_000)
    loop = asyncio.get_running_loop()
    began = loop.time()
    await page.start()
    assert page.transport.of("requestChat")[0]["timeout"] is None
    assert loop.time() - began >= 20 and "disconnected" not in page.names()


@virtual_time
async def test_http_500_publishes_error_with_invalid_service_and_keeps_polling():
    gms = mock_gms()
    page = Page(gms).boot()
    await page.start()
    gms.fault("refresh", "http404json", count=1)
    error = await page.wait_event("error")
    assert error["status"] == 404 and error["responseJSON"]["statusCode"] == 2
    assert "errorReason" not in error  # a GMS errors list came with it
    gms.fault("refresh", "http500", count=1)  # a failing server's plain-text answer
    error = await page.wait_event("error")
    assert error["status"] == 500 and error["errorReason"] == "InvalidService"
    assert "responseJSON" not in error
    page.agent("join")
    await page.wait_event("agentConnected")


@virtual_time
async def test_sleep_polls_at_the_sleep_rate_and_wake_restores():
    page = Page(mock_gms(), config={"pollRateSleep": 10000}).boot()
    await page.start()
    mark = page.mark()
    assert await page.cmd("sleep") is None
    assert page.names(mark) == ["data.sleeping", "sleeping"]
    count = len(page.transport.of("refresh"))
    await asyncio.sleep(40)
    assert len(page.transport.of("refresh")) - count == 4
    assert await page.cmd("wake") is None
    assert page.names(mark)[-2:] == ["data.sleeping", "waking"]
    count = len(page.transport.of("refresh"))
    await asyncio.sleep(3)
    assert len(page.transport.of("refresh")) - count >= 3


@virtual_time
async def test_wake_with_reset_idle_state_sends_the_custom_notice():
    page = Page(mock_gms()).boot()
    await page.start()
    await page.cmd("wake", {"resetIdleState": True})
    notice = page.transport.of("customNotice")[0]
    assert notice["fields"][3:] == [("message", ""), ("eventAttributes", '{"purpose":"cancel-idle-timer"}')]


@virtual_time
async def test_send_while_disconnected_is_really_sent():
    gms = mock_gms()
    page = Page(gms).boot()
    await page.start()
    gms.fault("refresh", "drop", count=-1)
    await page.wait_event("disconnected")
    body = await page.cmd("sendMessage", {"message": "still here"})  # the original dropped it
    assert body["statusCode"] == 0
    texts = [m.get("text") for m in gms.chat(page.chat_id)["messages"]]
    assert "still here" in texts


def test_late_timers_do_not_stretch_the_idle_rate():
    """Browser timers fire late (a few ms each); 12 ticks per poll must not add that up."""
    from webchat_vclock import VirtualClockLoop

    class LateTimersLoop(VirtualClockLoop):
        def call_at(self, when, callback, *args, context=None):
            return super().call_at(when + 0.02, callback, *args, context=context)

    async def scenario():
        page = Page(mock_gms()).boot()
        await page.start()
        await asyncio.sleep(30)
        count = len(page.transport.of("refresh"))
        await asyncio.sleep(60)
        return len(page.transport.of("refresh")) - count, gaps_ms(page)[-5:]

    loop = LateTimersLoop()
    asyncio.set_event_loop(loop)
    try:
        per_minute, last_gaps = loop.run_until_complete(scenario())
    finally:
        for task in asyncio.all_tasks(loop):
            task.cancel()
        loop.run_until_complete(asyncio.sleep(0))
        loop.close()
        asyncio.set_event_loop(None)
    assert per_minute == 20
    assert last_gaps == [3000] * 5
