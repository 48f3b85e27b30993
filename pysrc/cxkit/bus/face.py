"""The names page code finds on the bus's JavaScript face (pysrc/cxkit/web/widgets.js), stated once.

`window.CXBus` has `CXBUS_MEMBERS` (and `UNLOCKED_MEMBERS` while configured unlocked); what
`CXBus.registerPlugin(name)` returns has `PLUGIN_MEMBERS`; a command's promise has
`PROMISE_MEMBERS` and a JS handler's Deferred `DEFERRED_MEMBERS`; the QuickBus
(`window._genesys.widgets.bus`, what `onReady` receives) is a plugin object with `registerPlugin`
besides (`QUICKBUS_MEMBERS`). Each member has a Python `Bus` or `Plugin` attribute of the same
name, which widgets.js forwards the call to (it answers `namespace` and `registerMaster` itself),
except `JS_ONLY_MEMBERS`. Every plugin also answers the `AUTOMATIC_COMMANDS`.
scripts/gen_docs.py renders these tables, and e2e/test_bus_face.py
checks that the page's objects have exactly these keys::

    >>> from cxkit.bus.face import CXBUS_MEMBERS, PLUGIN_MEMBERS, QUICKBUS_MEMBERS
    >>> CXBUS_MEMBERS[:3]
    ('registerPlugin', 'registerMaster', 'loadPlugin')
    >>> sorted(set(QUICKBUS_MEMBERS) - set(PLUGIN_MEMBERS))
    ['registerPlugin']
"""

from __future__ import annotations

__all__ = [
    "AUTOMATIC_COMMANDS", "CXBUS_MEMBERS", "DEFERRED_MEMBERS", "JS_ONLY_MEMBERS", "PLUGIN_MEMBERS",
    "PROMISE_MEMBERS", "PROMISE_RESULT_MEMBERS", "QUICKBUS_MEMBERS", "UNLOCKED_MEMBERS",
]

# Both in the order the original's documentation lists them (spec A.1 and A.3).
#: the members of ``window.CXBus``
CXBUS_MEMBERS: tuple[str, ...] = (
    "registerPlugin", "registerMaster", "loadPlugin", "loadFile", "loadModule", "registerModule",
    "configure", "command", "subscribe", "data",
)
#: the members of a plugin object (``CXBus.registerPlugin(name)``)
PLUGIN_MEMBERS: tuple[str, ...] = (
    "publish", "publishDirect", "republish", "subscribe", "unsubscribe", "command", "before",
    "registerCommand", "registerEvents", "namespace", "subscribers", "registry", "data", "ready",
)
#: the QuickBus: the plugin object of the plugin "QuickBus", with ``registerPlugin`` grafted on
QUICKBUS_MEMBERS: tuple[str, ...] = (*PLUGIN_MEMBERS, "registerPlugin")
#: the promise a command returns (the ``promise()`` of its Deferred), spec A.6
PROMISE_MEMBERS: tuple[str, ...] = (
    "done", "fail", "always", "progress", "then", "promise", "state", "isResolved", "isRejected", "pipe",
    "debug",
)
#: the Deferred a JS command handler gets (``e.deferred``): the promise's members and the resolver side
DEFERRED_MEMBERS: tuple[str, ...] = (
    *PROMISE_MEMBERS, "resolve", "reject", "notify", "resolveWith", "rejectWith", "notifyWith",
)
#: the members that answer with a promise (the others answer at once)
PROMISE_RESULT_MEMBERS: tuple[str, ...] = ("command", "loadPlugin", "loadModule")
#: on ``window.CXBus`` only while ``CXBus.configure({unlocked: true})`` holds (spec A.2)
UNLOCKED_MEMBERS: tuple[str, ...] = ("getPluginInterface",)
#: no Python counterpart: loading a script is a script tag
JS_ONLY_MEMBERS: tuple[str, ...] = ("loadFile",)
#: the commands every registered plugin answers without registering them
AUTOMATIC_COMMANDS: tuple[str, ...] = ("COMMANDS", "EVENTS", "LOAD")
