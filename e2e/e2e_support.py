"""Helpers shared by the e2e tests (imported by name: pytest puts e2e/ on sys.path)."""

from __future__ import annotations

BOOT_TIMEOUT_MS = 60_000


def wait_booted(page, timeout: float = BOOT_TIMEOUT_MS) -> None:
    """Wait until Python is up and the JS face is attached (or fail with the boot error)."""
    page.wait_for_function(
        "() => window.__cxkit && (window.__cxkit.attached || window.__cxkit.failure)", timeout=timeout
    )

#: Init script: a plugin ``T`` (window.T) that records every WebChatService event in
#: ``window.ev`` as {name, data}; runs on every load, reloads included.
RECORDER = """
window.cxkitTestEarly = () => {
  window.ev = [];
  window.T = CXBus.registerPlugin('T');
  const names = ['ready','restored','restoreTimeout','restoreFailed','messageReceived','error','started',
    'ended','agentTypingStarted','agentTypingStopped','pollingStarted','pollingStopped','clientConnected',
    'clientDisconnected','agentConnected','agentDisconnected','supervisorConnected','supervisorDisconnected',
    'botConnected','botDisconnected','clientTypingStarted','clientTypingStopped','disconnected','reconnected',
    'chatServerWentOffline','chatServerBackOnline','sleeping','waking'];
  for (const n of names) T.subscribe('WebChatService.' + n, e => ev.push({name: n, data: e.data}));
};
"""


def events(page, name: str | None = None) -> list:
    """Recorded WebChatService events (names, or the data of one kind)."""
    if name is None:
        return page.evaluate("window.ev.map(e => e.name)")
    return page.evaluate("n => window.ev.filter(e => e.name === n).map(e => e.data)", name)


def wait_event(page, name: str, count: int = 1, timeout: float = 20_000) -> None:
    page.wait_for_function(
        "([n, c]) => window.ev && window.ev.filter(e => e.name === n).length >= c", arg=[name, count], timeout=timeout
    )


def wait_text(page, text: str, timeout: float = 20_000) -> None:
    """Until a messageReceived carried a message with this text."""
    page.wait_for_function(
        "t => window.ev && window.ev.some(e => e.name === 'messageReceived' && e.data.messages.some(m => m.text === t))",
        arg=text, timeout=timeout,
    )


def command(page, name: str, options: dict | None = None):
    """Run ``T.command(name, options)``; returns {"ok": bool, "value": ...}."""
    return page.evaluate(
        """([n, o]) => new Promise(r => T.command(n, o || undefined)
            .done(v => r({ok: true, value: v === undefined ? null : v}))
            .fail(v => r({ok: false, value: v === undefined ? null : v})))""",
        [name, options],
    )
