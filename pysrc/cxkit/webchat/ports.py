"""What the browser glue (or a test) plugs into the WebChatService: small protocols, and
in-memory stand-ins usable in CPython.

- `Storage`: cookie-like string key/value (the glue writes real cookies, host-only on IP hosts).
- `TypingInput`: a text input or textarea: ``value`` and ``on_input(callback) -> detach``.
- `FileInput`: something holding user-chosen files: ``files`` (a list of `FileHandle`).
- `Downloader`: makes the browser fetch a file (the original submits a hidden POST form).
- The network port is `cxkit.gms.Transport`.
- `Ports`: all of a service's ports in one value, what the browser glue (or a test) hands over.

    >>> from cxkit.webchat.ports import MemoryStorage, MemoryTextInput
    >>> storage = MemoryStorage()
    >>> storage.set("k", "v"); storage.get("k"), storage.get("missing")
    ('v', None)
    >>> box = MemoryTextInput()
    >>> detach = box.on_input(lambda: print("typed", box.value))
    >>> box.type("hi")
    typed hi
    >>> detach(); box.type("!")
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..gms import DownloadRequest, FileHandle, Transport
from ..gms.websocket import WebSocketConnector

__all__ = ["Downloader", "FileInput", "MemoryDownloader", "MemoryStorage", "MemoryTextInput",
           "PageInfo", "Ports", "Storage", "TypingInput"]


@runtime_checkable
class Storage(Protocol):
    """Cookie-like text by name: what the service keeps across reloads (`MemoryStorage` is one).

        >>> isinstance(MemoryStorage(), Storage), isinstance({}, Storage)
        (True, False)
    """

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> None: ...


@runtime_checkable
class TypingInput(Protocol):
    """A text ``<input>`` or ``<textarea>``. The glue may add ``is_text_input = False`` for other
    elements so the service can refuse them with the original's message, and ``async read()`` for
    an element whose ``value`` is a copy (in another thread): the service awaits it before it sends
    the text, since page code may have set the value (``el.value = ''``), which no input event says.

        >>> isinstance(MemoryTextInput("hi"), TypingInput)
        True
    """

    @property
    def value(self) -> str: ...

    def on_input(self, callback: Callable[[], Any]) -> Callable[[], None]: ...


@runtime_checkable
class FileInput(Protocol):
    """Something holding user-chosen files (a file ``<input>`` in the page): ``sendFile``'s
    ``file`` option may be one.

        >>> from types import SimpleNamespace
        >>> from cxkit.gms import BytesFile
        >>> isinstance(SimpleNamespace(files=[BytesFile("a.txt", b"hi")]), FileInput)
        True
    """

    @property
    def files(self) -> Sequence[FileHandle]: ...


class Downloader(Protocol):
    """Makes the browser fetch a file (``downloadFile``): called with the `DownloadRequest`;
    may return an awaitable. `MemoryDownloader` records them instead.

        >>> def download(request: DownloadRequest) -> None:  # the browser glue submits a form
        ...     print("POST", request.url, dict(request.fields))
        >>> download(DownloadRequest("http://gms/f", [("secureKey", "k")], "f.txt"))
        POST http://gms/f {'secureKey': 'k'}
    """

    def __call__(self, request: DownloadRequest) -> Awaitable[None] | None: ...


@dataclass(frozen=True)
class PageInfo:
    """Facts about the page that startChat puts in userData (``_genesys_*``).

        >>> PageInfo(url="https://shop.example/cart", title="Cart").widgets_version
        '9.0.018.07'
    """

    url: str = ""
    referrer: str = ""
    title: str = ""
    browser: str = ""
    os: str = ""
    source: str = "web"
    language: str = "en"
    widgets_version: str = "9.0.018.07"


@dataclass(frozen=True)
class Ports:
    """What a WebChatService is plugged into: the network (``transport``), the cookies
    (``storage``), facts about the page, a clock (``now()``: epoch ms), a ``downloader`` and a
    ``websocket`` connector for CometD (None: CometD long-polls).

        >>> import httpx
        >>> from cxkit.gms import HttpxTransport
        >>> ports = Ports(HttpxTransport(transport=httpx.MockTransport(lambda r: httpx.Response(200))),
        ...               MemoryStorage(), PageInfo(title="Shop"))
        >>> ports.page_info.title, ports.downloader is None
        ('Shop', True)
    """

    transport: Transport
    storage: Storage
    page_info: PageInfo | Callable[[], PageInfo] | None = None  #: a provider: asked as each chat starts
    now: Callable[[], float] | None = None
    downloader: Downloader | None = None
    websocket: WebSocketConnector | None = None


class MemoryStorage:
    """`Storage` in a dict (CPython, tests).

        >>> storage = MemoryStorage({"a": "1"})
        >>> storage.delete("a"); storage.set("b", "2"); storage.values
        {'b': '2'}
    """

    def __init__(self, initial: dict[str, str] | None = None) -> None:
        self.values: dict[str, str] = dict(initial or {})

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)


class MemoryTextInput:
    """A `TypingInput` driven from Python: ``type(text)`` appends and fires the listeners.

        >>> box = MemoryTextInput("he")
        >>> _ = box.on_input(lambda: print(box.value))
        >>> box.type("llo")
        hello
    """

    is_text_input = True

    def __init__(self, value: str = "") -> None:
        self.value = value
        self._listeners: list[Callable[[], Any]] = []

    def on_input(self, callback: Callable[[], Any]) -> Callable[[], None]:
        self._listeners.append(callback)

        def detach() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)
        return detach

    @property
    def listener_count(self) -> int:
        return len(self._listeners)

    def type(self, text: str) -> None:
        self.value += text
        for callback in list(self._listeners):
            callback()

    def clear(self) -> None:
        self.value = ""
        for callback in list(self._listeners):
            callback()


@dataclass
class MemoryDownloader:
    """A `Downloader` that records what it was asked to download.

        >>> downloads = MemoryDownloader()
        >>> downloads(DownloadRequest("http://gms/f", [("secureKey", "k")], "f.txt"))
        >>> [request.file_name for request in downloads.requests]
        ['f.txt']
    """

    requests: list[DownloadRequest] = field(default_factory=list)

    def __call__(self, request: DownloadRequest) -> None:
        self.requests.append(request)
