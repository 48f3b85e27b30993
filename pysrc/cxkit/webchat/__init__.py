"""cxkit.webchat — the WebChatService of Genesys Widgets (GMS/REST controller) in pure Python.

It runs wherever the bus runs (CPython, Pyodide); the browser glue supplies the ports.
Differences from the original, and the cases where the commands page won over the other
references, are listed in COMPAT.md beside this file::

    import asyncio, httpx
    from cxkit.bus import Bus
    from cxkit.gms import HttpxTransport
    from cxkit.webchat import MemoryStorage, install_webchat_service

    async def main():
        bus = Bus()
        transport = HttpxTransport(transport=httpx.MockTransport(
            lambda request: httpx.Response(200, json={"statusCode": 0, "messages": []})))
        install_webchat_service(bus, {"dataURL": "http://gms/genesys/2/chat/customer-support"},
                                transport=transport, storage=MemoryStorage())
        page = bus.register_plugin("Page")
        page.subscribe("WebChatService.messageReceived", lambda e: print(e.data["messages"]))
        print(await page.command("WebChatService.verifySession"))

    asyncio.run(main())
"""

from .commands import COMMANDS
from .config import WebChatConfig
from .cookies import SessionCookies
from .files import FileLimits
from .filters import COBROWSE_FILTER, InvalidFilter, Prefilters
from .install import install_webchat_service, webchat_plugin_factory
from .normalize import normalize
from .polling import PollingLoop
from .ports import (Downloader, FileInput, MemoryDownloader, MemoryStorage, MemoryTextInput,
                    PageInfo, Storage, TypingInput)
from .service import EVENTS, WebChatService
from .tabs import cookies_changed
from .transcript import AgentRoster, Transcript

__all__ = [
    "AgentRoster", "COBROWSE_FILTER", "COMMANDS", "Downloader", "EVENTS", "FileInput",
    "FileLimits", "InvalidFilter", "MemoryDownloader", "MemoryStorage", "MemoryTextInput",
    "PageInfo", "PollingLoop", "Prefilters", "SessionCookies", "Storage", "Transcript",
    "TypingInput", "WebChatConfig", "WebChatService", "cookies_changed", "install_webchat_service",
    "normalize", "webchat_plugin_factory",
]
