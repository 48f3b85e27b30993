"""cxkit.webchat — the WebChatService of Genesys Widgets (GMS/REST controller) in pure Python.

It runs wherever the bus runs (CPython, Pyodide); the browser glue supplies the ports.
Differences from the original, and the cases where the commands page won over the other
references, are listed in COMPAT.md beside this file::

    import asyncio, httpx
    from cxkit.bus import Bus
    from cxkit.gms import HttpxTransport
    from cxkit.webchat import MemoryStorage, Ports, install_webchat_service

    async def main():
        bus = Bus()
        transport = HttpxTransport(transport=httpx.MockTransport(
            lambda request: httpx.Response(200, json={"statusCode": 0, "messages": []})))
        install_webchat_service(bus, {"dataURL": "http://gms/genesys/2/chat/customer-support"},
                                Ports(transport, MemoryStorage()))
        page = bus.register_plugin("Page")
        page.subscribe("WebChatService.messageReceived", lambda e: print(e.data["messages"]))
        print(await page.command("WebChatService.verifySession"))

    asyncio.run(main())
"""

from . import messages
from .catalog import COMMANDS, EVENTS
from .config import WebChatConfig
from .install import install_webchat_service, webchat_plugin_factory
from .normalize import normalize
from .ports import (
                    Downloader,
                    FileInput,
                    MemoryDownloader,
                    MemoryStorage,
                    MemoryTextInput,
                    PageInfo,
                    Ports,
                    Storage,
                    TypingInput,
)
from .service import WebChatService
from .tabs import cookies_changed

# The public API: installing the service, the ports a page supplies (and their in-memory
# stand-ins), the names and texts page code sees. The modules hold the rest.
__all__ = [
    "COMMANDS", "Downloader", "EVENTS", "FileInput", "MemoryDownloader", "MemoryStorage",
    "MemoryTextInput", "PageInfo", "Ports", "Storage", "TypingInput", "WebChatConfig", "WebChatService",
    "cookies_changed", "install_webchat_service", "messages", "normalize", "webchat_plugin_factory",
]
