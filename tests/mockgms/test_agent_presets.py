"""Agent presets (silent, echo, script:PATH) and idle handling, observed through the wait API."""

from __future__ import annotations

import json

import pytest

from cxkit.mockgms import MockConfig, MockGMS

from .support import Customer, client_for, make_gms


async def test_echo_joins_types_and_echoes() -> None:
    gms = make_gms("echo", agent_nickname="Echo")
    async with client_for(gms) as c:
        cust = Customer(c)
        await cust.request_chat()
        [joined] = await gms.wait_messages(cust.chat_id, after=1, type="ParticipantJoined")
        assert joined["from"] == {"nickname": "Echo", "participantId": 2, "type": "Agent"}
        after = joined["index"]
        await cust.op("send", message="ping")
        await cust.op("send", message="pong")
        agent_said: list[str] = []
        while len(agent_said) < 2:
            msgs = await gms.wait_messages(cust.chat_id, after=after, type="Message")
            after = msgs[-1]["index"]
            agent_said += [m["text"] for m in msgs if m["from"]["type"] == "Agent"]
        assert agent_said == ["ping", "pong"]
        types = [m["type"] for m in gms.chat(cust.chat_id)["messages"] if m["from"]["type"] == "Agent"]
        assert types == ["ParticipantJoined", "TypingStarted", "Message", "TypingStarted", "Message"]


async def test_echo_answers_messages_sent_before_it_joined() -> None:
    gms = make_gms("echo", echo_join_delay=1.0, echo_prefix="Echo: ")  # joins well after the send
    async with client_for(gms) as c:
        cust = Customer(c)
        await cust.request_chat()
        await cust.op("send", message="early")
        msgs = await gms.wait_messages(cust.chat_id, after=2, type="Message")
        assert msgs[0]["text"] == "Echo: early" and msgs[0]["from"]["type"] == "Agent"


async def test_echo_stops_when_chat_ends_and_on_reset() -> None:
    gms = make_gms("echo", echo_join_delay=3600)
    async with client_for(gms) as c:
        cust = Customer(c)
        await cust.request_chat()
        agent = gms.state.store.get(cust.chat_id).agent
        assert agent._tasks  # the join is pending
        await cust.op("disconnect")
        assert not agent._tasks or all(t.cancelling() or t.cancelled() for t in agent._tasks)
        other = Customer(c)
        await other.request_chat()
        agent2 = gms.state.store.get(other.chat_id).agent
        gms.reset()
        assert not agent2._tasks or all(t.cancelling() or t.cancelled() for t in agent2._tasks)


async def test_silent_agent_does_nothing(customer: Customer, gms: MockGMS) -> None:
    await customer.op("send", message="anyone?")
    with pytest.raises(TimeoutError):
        await gms.wait_messages(customer.chat_id, after=2, timeout=0.05)


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
async def test_script_preset(tmp_path, suffix) -> None:
    steps = [
        {"action": "join", "nickname": "Bot"},
        {"delay": 0.01, "action": "say", "text": "Welcome"},
        {"waitFor": "message", "action": "typing"},
        {"action": "say", "text": "Got it"},
        {"action": "pushUrl", "url": "https://example.org/help"},
        {"action": "end"},
    ]
    path = tmp_path / f"scenario{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(steps))
    else:
        import yaml
        path.write_text(yaml.safe_dump(steps))
    gms = make_gms(f"script:{path}")
    async with client_for(gms) as c:
        cust = Customer(c)
        await cust.request_chat()
        [welcome] = await gms.wait_messages(cust.chat_id, after=1, type="Message")
        assert welcome["text"] == "Welcome" and welcome["from"]["nickname"] == "Bot"
        await cust.op("send", message="help me")
        await gms.wait_messages(cust.chat_id, after=welcome["index"], type="ParticipantLeft")
        chat = gms.chat(cust.chat_id)
        assert chat["state"] == "ended"
        assert [m["type"] for m in chat["messages"]][-4:] == ["TypingStarted", "Message", "PushUrl", "ParticipantLeft"]


@pytest.mark.parametrize(
    ("spec", "content"),
    [
        ("dance", None),
        ("script:{path}", "{not: [valid"),
        ("script:{path}", "just a string"),
        ("script:{path}", "- action: fly"),
        ("script:{path}", "- waitFor: tea"),
        ("script:{path}", "- delay: -1"),
        ("script:{path}.missing", None),
    ],
)
def test_bad_presets_fail_at_construction_with_a_value_error_naming_them(tmp_path, spec, content) -> None:
    path = tmp_path / "s.yaml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ValueError) as refused:
        MockGMS(MockConfig(), agent=spec.format(path=path))
    named = "dance" if spec == "dance" else f"agent script {spec.format(path=path)[len('script:'):]}: "
    assert named in str(refused.value) and "\n" not in str(refused.value)


async def test_idle_alert_then_close() -> None:
    gms = make_gms(idle_alert_seconds=0.02, idle_close_seconds=0.02)
    async with client_for(gms) as c:
        cust = Customer(c)
        await cust.request_chat()
        [alert] = await gms.wait_messages(cust.chat_id, after=1, type="IdleAlert")
        assert alert["userData"]["next-idle-timer-type"] == "CLOSE"
        assert alert["from"]["type"] == "External"
        [close] = await gms.wait_messages(cust.chat_id, after=alert["index"], type="IdleClose")
        poll = (await cust.op("refresh", transcriptPosition=str(alert["index"]))).json()
        assert [m["type"] for m in poll["messages"]] == ["IdleAlert", "IdleClose"] and poll["chatEnded"] is True
        assert gms.chat(cust.chat_id)["state"] == "ended"


async def test_customer_activity_rearms_idle_and_polling_does_not() -> None:
    gms = make_gms(idle_alert_seconds=3600, idle_close_seconds=1)
    async with client_for(gms) as c:
        cust = Customer(c)
        await cust.request_chat()
        timer = gms.state.store.get(cust.chat_id).idle
        first = timer._handle
        await cust.op("refresh")
        assert timer._handle is first
        await cust.op("send", message="still here")
        assert timer._handle is not first and first.cancelled()
        await cust.op("disconnect")
        assert timer._handle is None


async def test_idle_off_by_zero(customer: Customer, gms: MockGMS) -> None:
    assert gms.state.store.get(customer.chat_id).idle._handle is None
