"""Put the WebChatService on the page's bus with browser ports.

    >>> install_services(bus, {"webchat": {"dataURL": "/genesys/2/chat/customer-support"}})  # doctest: +SKIP
    {'WebChatService': <cxkit.webchat.service.WebChatService object at ...>}

JS callers pass DOM elements (plain or jQuery-wrapped) and functions where Python callers pass
handles and callables; a ``before`` interceptor per such command turns the JS values into
the ports the pure-Python service expects. It runs for every caller, Python ones included,
and leaves Python values alone.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import js
from pyodide.ffi import JsProxy

from ..bus import Bus
from ..webchat import PageInfo, Ports, install_webchat_service
from ..webchat.user_data import use_function_caller
from .convert import calmed, to_js_plain, to_py_plain
from .cookies import CookieStorage
from .elements import DomTextInput, JsPreprocessor, download, unwrap_element
from .fetch import FetchTransport, PageAddress
from .websocket import JsWebSocketConnector

__all__ = ["install_services", "page_info"]

_OS = (("Windows", "Windows"), ("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iOS"),
       ("Mac OS", "Mac"), ("Linux", "Linux"))
_BROWSERS = (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))


def page_info(url: str | None = None, referrer: str | None = None, title: str | None = None) -> PageInfo:
    """Facts about the page; a worker passes the page's url, referrer and title (its own
    ``location`` is the worker script's)."""
    agent = str(js.navigator.userAgent)
    mobile = bool(re.search(r"Mobi|Android|iPhone|iPad", agent))
    return PageInfo(
        url=str(js.location.href) if url is None else url,
        referrer=str(js.document.referrer) if referrer is None else referrer,
        title=str(js.document.title) if title is None else title,
        browser=next((name for key, name in _BROWSERS if key in agent), "Unknown"),
        os=next((name for key, name in _OS if key in agent), "Unknown"),
        source="mobile" if mobile else "web",
        language=str(js.navigator.language or "en").split("-")[0],
    )


def _typing_input(options: Any) -> Any:
    element = unwrap_element(options.get("input")) if isinstance(options, dict) else None
    if isinstance(element, JsProxy) and hasattr(element, "addEventListener"):
        options = {**options, "input": DomTextInput(element)}
    return options


def _file_input(options: Any) -> Any:
    if isinstance(options, dict) and isinstance(options.get("files"), (JsProxy, dict)):
        options = {**options, "files": unwrap_element(options["files"])}
    return options


def _preprocessor(options: Any) -> Any:
    fn = options.get("preprocessor") if isinstance(options, dict) else None
    if isinstance(fn, JsProxy) and fn.typeof == "function":
        options = {**options, "preprocessor": JsPreprocessor(fn)}
    return options


# userData's functions: the page's through the loader (a worker's stand-ins and Python's as they are)
use_function_caller(lambda fn: calmed(fn)())


class JsCallback:
    """A function of the page's config (``async.getSessionData``/``setSessionData``) as a Python
    callable: arguments go as plain JS values, the answer comes back as Python (awaitable when
    the function returns a Promise; its rejection raises). In a worker such functions are
    `RemoteFunction` stand-ins already (their Deferred is awaitable), so only main-thread JsProxy
    functions get this."""

    def __init__(self, fn: Any) -> None:
        self.fn = calmed(fn)

    def __call__(self, *args: Any) -> Any:
        result = self.fn(*(to_js_plain(a) for a in args))
        if asyncio.isfuture(result) or (isinstance(result, JsProxy) and callable(getattr(result, "then", None))):
            return _converted(result)
        return to_py_plain(result)


async def _converted(promise: Any) -> Any:
    return to_py_plain(await promise)


def _async_callbacks(webchat: dict[str, Any]) -> dict[str, Any]:
    section = webchat.get("async")
    if not isinstance(section, dict):
        return webchat
    wrapped = {k: JsCallback(v) if isinstance(v, JsProxy) and v.typeof == "function" else v
               for k, v in section.items()}
    return {**webchat, "async": wrapped}


ADAPTERS = {
    "registerTypingPreviewInput": _typing_input,
    "sendFile": _file_input,
    "registerPreProcessor": _preprocessor,
}


def install_services(bus: Bus, config: dict[str, Any], *, storage: Any = None,
                     info: Callable[[], PageInfo] = page_info, save: Any = None,
                     adapters: dict[str, Any] | None = None, address: PageAddress | None = None) -> dict[str, Any]:
    """Install the services the page's config asks for, not started yet (``service.start()``,
    once the page's queued subscriptions are attached and App.ready is out); returns them by name.

    On the main thread the ports are this document's; the worker passes its own ``storage``
    (cookies), page ``info`` (asked as each chat starts), ``save(blob, name)`` for downloads,
    ``adapters`` and the page's ``address``, which relative URLs in the config are read against
    and whose URL its requests carry as their Referer."""
    webchat = config.get("webchat")
    if not isinstance(webchat, dict) or not webchat:
        return {}
    xhr_fields = webchat.get("xhrFields")
    with_credentials = isinstance(xhr_fields, dict) and bool(xhr_fields.get("withCredentials"))
    info()  # read once now: a page whose facts cannot be read fails the start, as the worker's does
    transport = FetchTransport(credentials="include" if with_credentials else "same-origin", address=address)
    webchat = _async_callbacks(webchat)
    for command, adapt in (ADAPTERS if adapters is None else adapters).items():
        bus.plugin.before(f"WebChatService.{command}", adapt)
    ports = Ports(transport, storage or CookieStorage(), info, websocket=JsWebSocketConnector(address),
                  downloader=lambda request: download(request, transport, save))
    service = install_webchat_service(bus, webchat, ports, start=False)
    return {"WebChatService": service}
