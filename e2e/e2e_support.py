"""Helpers shared by the e2e tests (imported by name: pytest puts e2e/ on sys.path).

The page helpers are the plugin's (``cxkit.testing``); chat pages record every
WebChatService event in ``window.cxkitTest.events`` (``window.ev`` here, for older tests).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from cxkit.bundle import project_root
from cxkit.testing.page import BOOT_TIMEOUT_MS, EVENTS, command, events, wait_event, wait_ready, wait_text

__all__ = ["ALIASES", "BOOT_TIMEOUT_MS", "RECORDER", "VIOLATIONS", "command", "documented_policies", "events",
           "named_host_browser", "start_chat", "trusted_types_policy", "wait_booted", "wait_event", "wait_ready",
           "wait_text"]

#: Init script: ``window.ev`` and ``window.T`` name the plugin's recorder and its bus plugin.
ALIASES = """
Object.defineProperty(window, 'ev', {configurable: true, get: () => window.cxkitTest && window.cxkitTest.events});
Object.defineProperty(window, 'T', {configurable: true, get: () => window.cxkitTest && window.cxkitTest.plugin});
"""


def named_host_browser(browser_type, launch_args: dict, host: str):
    """A browser in which ``host`` is 127.0.0.1 (Chromium's host resolver; nothing else resolves):
    a page there is on a named host, and on plain http not a secure context (localhost is one)."""
    rules = f"MAP {host} 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
    return browser_type.launch(**{**launch_args, "args": [*(launch_args.get("args") or []), f"--host-resolver-rules={rules}"]})


def start_chat(page, gms) -> str:
    """Start a chat as "Jo" from the page; its chat id once the mock has it and polling started."""
    result = command(page, "WebChatService.startChat", {"nickname": "Jo"})
    assert result["ok"], result
    chat_id = gms.wait_chat()["chatId"]
    wait_event(page, "pollingStarted")
    return chat_id


def wait_async(page, predicate: str, arg: Any = None, timeout: float = BOOT_TIMEOUT_MS, every_ms: float = 100) -> None:
    """Until ``predicate``, a page function that returns a Promise, resolves to a truthy value.
    Playwright's ``wait_for_function`` cannot: it takes the Promise itself for a truthy value."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(predicate, arg):
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout / 1000:.0f} s: {predicate[:200]}")
        page.wait_for_timeout(every_ms)  # a condition the page cannot announce (Cache Storage): asked again


def wait_booted(page, timeout: float = BOOT_TIMEOUT_MS) -> None:
    """Wait until Python is up and the JS face is attached (or the boot failed)."""
    page.wait_for_function(
        "() => window.__cxkit && (window.__cxkit.attached || window.__cxkit.failure)", timeout=timeout
    )

#: Init script for a plain ``page`` on the e2e templates (which call ``cxkitTestEarly`` right
#: after widgets.js): the same recorder as chat pages, without waiting for ready.
RECORDER = """
window.cxkitTestEarly = () => {
  const rec = window.cxkitTest = {events: [], plugin: CXBus.registerPlugin('T')};
  window.ev = rec.events; window.T = rec.plugin;
  for (const n of %s) rec.plugin.subscribe('WebChatService.' + n, e => rec.events.push({name: n, data: e.data}));
};
""" % json.dumps(list(EVENTS))


#: Init script for pages under a Content-Security-Policy: every ``securitypolicyviolation`` in
#: ``window.cspViolations``, and ``until(predicate, ms)``, a wait polled inside the page (Playwright's
#: ``wait_for_function`` polls with ``eval``, which a policy without 'unsafe-eval' blocks).
VIOLATIONS = """
window.cspViolations = [];
document.addEventListener('securitypolicyviolation', e => cspViolations.push({
  directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber, sample: e.sample}));
window.until = (predicate, timeoutMs = 20000) => new Promise((resolve, reject) => {
  const start = performance.now();
  (function check() {
    let value;
    try { value = predicate(); } catch (e) { value = false; }
    if (value) resolve(value);
    else if (performance.now() - start > timeoutMs) reject(new Error('timed out: ' + predicate));
    else setTimeout(check, 20);
  })();
});
"""


def trusted_types_policy() -> str:
    """The Trusted Types line docs/csp.md gives for worker mode."""
    text = (project_root() / "docs" / "csp.md").read_text()
    return re.findall(r"^```\w*\n(require-trusted-types-for [^\n]+)\n```", text, re.M)[0]


def documented_policies() -> list[str]:
    """The policies docs/csp.md states (its code blocks that start with ``default-src``), in order:
    worker and main thread with the bundle on the page's origin, then with it on another."""
    text = (project_root() / "docs" / "csp.md").read_text()
    return re.findall(r"^```\w*\n(default-src [^\n]+)\n```", text, re.M)
