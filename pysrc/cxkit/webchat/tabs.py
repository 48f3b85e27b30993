"""Other tabs of the same site: what the service does when the session cookies change under it.

Tabs of one site share the session cookies but each runs its own WebChatService. The browser
glue calls `cookies_changed` whenever another tab (or page code) may have written them; then:

- a tab without a chat picks up the chat another tab has started, as a reload would (a
  restore: ``restored``, the transcript so far as history, then polling of its own);
- a tab whose chat's session cookie was removed or replaced asks GMS at once (its next poll
  goes now) instead of at the next poll: if another tab ended the chat, GMS says so and this
  tab runs its end sequence.

The start lock (``chatStartLock``) needs no help here: startChat reads it from the cookies, which
the glue keeps current. Asynchronous chat keeps its session in the page's callbacks, not in the
cookies, so it is left alone::

    import asyncio, httpx
    from cxkit.bus import Bus
    from cxkit.gms import HttpxTransport, Identity
    from cxkit.webchat import MemoryStorage, Ports, cookies_changed, install_webchat_service
    from cxkit.webchat.cookies import SessionCookies

    async def main():
        transport = HttpxTransport(transport=httpx.MockTransport(
            lambda request: httpx.Response(200, json={"statusCode": 0, "chatEnded": False, "messages": []})))
        storage = MemoryStorage()
        service = install_webchat_service(Bus(), {"dataURL": "http://gms/genesys/2/chat/cs"},
                                          Ports(transport, storage))
        other_tab = SessionCookies(storage)              # another tab starts a chat
        other_tab.save_identity(Identity("chat-of-the-other-tab", "117", "key", "u1"))
        print(cookies_changed(service))                  # restore
        await service.session.restore_done.wait()
        print(service.session.active, service.session.identity.chat_id)  # True chat-of-the-other-tab
        service.stop_polling()

    asyncio.run(main())
"""

from __future__ import annotations

import asyncio
import weakref
from typing import TYPE_CHECKING, Protocol

from .cookies import SESSION
from .polling import PollingLoop
from .restore import RestoreHost, is_async, restore_session
from .tasks import spawn

if TYPE_CHECKING:
    from .service import WebChatService

__all__ = ["TabsHost", "cookies_changed"]


class TabsHost(RestoreHost, Protocol):
    """What a cookie change uses beyond a restore's host: whether the service has started, and
    its polling (to poll at once)."""

    configured: bool
    polling: PollingLoop


if TYPE_CHECKING:
    def _service_is_a_host(service: WebChatService) -> TabsHost:
        return service  # the browser glue holds its services untyped: mypy checks it here


# The chat each service last had or tried to pick up.
_known: weakref.WeakKeyDictionary[TabsHost, str] = weakref.WeakKeyDictionary()


def cookies_changed(service: TabsHost) -> str | None:
    """React to session cookies another tab may have written; returns what it started:
    ``"restore"``, ``"poll"`` or None (nothing to do).

        >>> import asyncio, httpx
        >>> from cxkit.bus import Bus
        >>> from cxkit.gms import HttpxTransport
        >>> from cxkit.webchat import MemoryStorage, Ports
        >>> gms = httpx.MockTransport(lambda request: httpx.Response(200, json={"statusCode": 0, "messages": []}))
        >>> ports = Ports(HttpxTransport(transport=gms), MemoryStorage())
        >>> from cxkit.webchat import install_webchat_service
        >>> async def main():
        ...     service = install_webchat_service(Bus(), {"dataURL": "http://gms/genesys/2/chat/cs"}, ports)
        ...     ports.storage.set("_genesys.widgets.webchat.state.session", "")  # no chat in any tab
        ...     return cookies_changed(service)
        >>> print(asyncio.run(main()))
        None
    """
    session = service.session
    if not service.configured or session.restoring or is_async(service):
        return None
    chat_id = service.cookies.storage.get(SESSION)
    if session.active:
        _known[service] = session.identity.chat_id
        if chat_id == session.identity.chat_id or service.push is not None:
            return None  # CometD pushes the end of the chat itself
        service.polling.speed_up()
        service.polling.last_poll = None  # due at the next tick
        return "poll"
    if not chat_id or _known.get(service) == chat_id:
        # Each chat is picked up once: one that could not be restored, or that this tab has
        # ended, is not tried again at every write of a tab that has not noticed yet.
        return None
    identity = service.cookies.load_identity()
    if identity is None or not identity.secure_key:
        return None  # the other tab is still writing them: its next write brings the keys
    _known[service] = chat_id
    # Flagged at once: a startChat or a second change handled before the task runs waits for it.
    session.restoring = True
    done = session.restore_done = asyncio.Event()
    spawn(_restore(service, done))
    return "restore"


async def _restore(service: TabsHost, done: asyncio.Event) -> None:
    try:
        await restore_session(service)
    finally:
        service.session.restoring = False
        done.set()
