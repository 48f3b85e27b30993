"""Nothing is left pending: every command, with odd options, before and during a chat."""

import asyncio

import pytest
from webchat_harness import Page, mock_gms, settle
from webchat_vclock import virtual_time

from cxkit.webchat import COMMANDS, EVENTS

ODD_OPTIONS = [None, {}, {"message": 5, "filters": 3, "input": 4, "preprocessor": 1, "files": 2,
                          "fileId": 0, "userData": 7, "regex": None, "isTyping": "x"}]


def test_all_27_commands_and_29_events_are_declared():
    assert len(COMMANDS) == 27 and len(set(COMMANDS)) == 27
    assert len(EVENTS) == 29


@pytest.mark.parametrize("active", [False, True])
@virtual_time
async def test_every_command_settles(active):
    page = Page(mock_gms()).boot()
    if active:
        await page.start()
    registry = page.bus.registry()["WebChatService"]
    assert set(COMMANDS) <= set(registry["commands"])
    assert registry["events"] == EVENTS
    pending = []
    for name in COMMANDS:
        for options in ODD_OPTIONS:
            if name in ("configure", "endChat"):
                continue
            deferred = page.deferred(name, options)
            pending.append((name, options, deferred))
    await asyncio.sleep(10)
    await settle()
    stuck = [(name, options) for name, options, d in pending if d.state() == "pending"]
    assert stuck == []
    deferred = page.deferred("endChat")
    await asyncio.sleep(5)
    assert deferred.state() != "pending"
