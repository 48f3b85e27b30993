"""Nothing is left pending: every command, with odd options, before and during a chat."""

import asyncio

import pytest
from webchat_harness import Page, mock_gms, settle
from webchat_vclock import virtual_time

from cxkit.webchat import COMMANDS, EVENTS
from cxkit.webchat.config import WebChatConfig
from cxkit.webchat.install import start_services

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


@virtual_time
async def test_a_service_whose_start_fails_rejects_every_command_waiting_for_it(monkeypatch):
    """The page's commands wait for the service to be ready; one whose start raised was never
    ready, and they waited forever on the page's own thread."""
    page = Page(mock_gms()).boot(start=False)
    waiting = [page.deferred(name) for name in ("getSessionData", "startChat", "sendMessage")]

    def broken(raw):
        raise TypeError("a config that cannot be read")

    monkeypatch.setattr(WebChatConfig, "from_dict", broken)
    failures = []
    assert start_services([page.service], failures.append) is False
    later = page.deferred("getSessionData")
    await settle()
    reason = "cxkit could not start its services: TypeError: a config that cannot be read"
    assert failures == [reason]
    assert [(d.state(), d.args) for d in waiting + [later]] == [("rejected", (reason,))] * 4
