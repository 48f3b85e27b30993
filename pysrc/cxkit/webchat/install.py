"""Putting a WebChatService on a bus, directly or as a lazily loaded plugin.

    import asyncio, httpx
    from cxkit.bus import Bus
    from cxkit.gms import HttpxTransport
    from cxkit.webchat import MemoryStorage, Ports, install_webchat_service, webchat_plugin_factory

    async def main():
        transport = HttpxTransport(transport=httpx.MockTransport(
            lambda request: httpx.Response(200, json={"statusCode": 0, "messages": []})))
        bus = Bus()
        install_webchat_service(bus, {"dataURL": "http://gms/genesys/2/chat/cs"},
                                Ports(transport, MemoryStorage()))
        lazy = Bus()   # or let the bus load it on the first WebChatService.* command
        lazy.register_plugin_factory("WebChatService", webchat_plugin_factory(
            {"dataURL": "http://gms/genesys/2/chat/cs"}, ports=Ports(transport, MemoryStorage())))
        print(await lazy.register_plugin("Page").command("WebChatService.getSessionData"))

    asyncio.run(main())
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .commands import register_commands
from .ports import Ports
from .service import EVENTS, NAME, WebChatService

if TYPE_CHECKING:
    from ..bus import Bus

__all__ = ["install_webchat_service", "start_services", "webchat_plugin_factory"]

logger = logging.getLogger("cxkit.webchat")


def install_webchat_service(bus: Bus, config: Mapping[str, Any] | None, ports: Ports, *,
                            start: bool = True) -> WebChatService:
    """Register the "WebChatService" plugin, configure it (restoring a session found in the
    cookies), call ready() and republish the sticky ``WebChatService.ready``.

    ``config`` is ``_genesys.widgets.webchat``; ``ports`` is what the service is plugged into
    (`Ports`: transport, cookie storage, page info, clock, downloader, CometD WebSocket).

    With ``start=False`` the plugin and its commands are registered but the service does not
    start until ``service.start()``: commands sent meanwhile wait (the bus buffers them, as
    for any plugin that is not ready). The start-up events (``data.sleeping``,
    ``data.sessionActive``, ``ready``, ``data.userData``) are not sticky, except ``ready``: a
    host that attaches the page's queued subscriptions in between lets them see all four.

        >>> import asyncio, httpx
        >>> from cxkit.bus import Bus
        >>> from cxkit.gms import HttpxTransport
        >>> from cxkit.webchat import MemoryStorage, Ports
        >>> gms = httpx.MockTransport(lambda request: httpx.Response(200, json={"statusCode": 0, "messages": []}))
        >>> ports = Ports(HttpxTransport(transport=gms), MemoryStorage())
        >>> async def main():
        ...     bus = Bus()
        ...     install_webchat_service(bus, {"dataURL": "http://gms/genesys/2/chat/cs"}, ports)
        ...     return await bus.register_plugin("Page").command("WebChatService.verifySession")
        >>> asyncio.run(main())
        {'sessionActive': False}
    """
    service = WebChatService(bus, transport=ports.transport, storage=ports.storage, page_info=ports.page_info,
                             now=ports.now, downloader=ports.downloader, websocket=ports.websocket)
    service.plugin.register_events(EVENTS)
    register_commands(service)
    service.pending_config = config
    if start:
        service.start()
    return service


def start_services(services: Sequence[WebChatService], fail: Callable[[str], Any]) -> bool:
    """Start services installed with ``start=False``, in order. One whose start raises makes
    them all give up (`cxkit.bus.Plugin.give_up`): the commands waiting for one that is not
    ready yet, and later ones, are rejected with the reason, which ``fail(reason)`` reports
    too (the page's loader). False if one could not start.

        >>> from cxkit.bus import Bus
        >>> from cxkit.webchat import MemoryStorage, Ports
        >>> service = install_webchat_service(Bus(), {"dataURL": "http://gms/chat/cs"},
        ...                                   Ports(None, MemoryStorage()), start=False)
        >>> start_services([service], print), service.plugin.is_ready
        (True, True)
    """
    for service in services:
        try:
            service.start()
        except Exception as exc:
            reason = f"cxkit could not start its services: {type(exc).__name__}: {exc}"
            logger.exception("cxkit: a service could not start")
            for each in services:
                each.plugin.give_up(reason)
            fail(reason)
            return False
    return True


def webchat_plugin_factory(config: Mapping[str, Any] | None = None, *,
                           ports: Ports) -> Callable[[Bus], Any]:
    """A factory for ``bus.register_plugin_factory("WebChatService", ...)``.

    Without ``config`` the service waits for the sticky ``App.ready`` and takes its
    ``webchat`` section, as the original does; the load resolves once the service is ready.

        >>> import asyncio, httpx
        >>> from cxkit.bus import Bus
        >>> from cxkit.gms import HttpxTransport
        >>> from cxkit.webchat import MemoryStorage, Ports
        >>> gms = httpx.MockTransport(lambda request: httpx.Response(200, json={"statusCode": 0, "messages": []}))
        >>> ports = Ports(HttpxTransport(transport=gms), MemoryStorage())
        >>> async def main():
        ...     bus = Bus()
        ...     factory = webchat_plugin_factory({"dataURL": "http://gms/genesys/2/chat/cs"}, ports=ports)
        ...     bus.register_plugin_factory("WebChatService", factory)
        ...     return await bus.register_plugin("Page").command("WebChatService.getSessionData")
        >>> asyncio.run(main())  # the first command loads the service
        {'sessionID': '', 'userId': '', 'secureKey': '', 'alias': ''}
    """

    def install(bus: Bus) -> Any:
        if config is not None:
            install_webchat_service(bus, config, ports)
            return None
        return _install_on_app_ready(bus)

    async def _install_on_app_ready(bus: Bus) -> None:
        import asyncio

        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        listener = bus.register_plugin(f"{NAME}Loader")

        def on_app_ready(event: Any) -> None:
            widgets = event.data if isinstance(event.data, Mapping) else {}
            webchat = widgets.get("webchat") if isinstance(widgets.get("webchat"), Mapping) else {}
            if not done.done():
                try:
                    install_webchat_service(bus, webchat, ports)
                except Exception as exc:
                    done.set_exception(exc)
                else:
                    done.set_result(None)

        listener.subscribe("App.ready", on_app_ready)
        await done

    return install
