"""DOM handles for the WebChatService ports: a typing-preview input, files, downloads.

    >>> box = DomTextInput(js.document.querySelector("textarea"))   # doctest: +SKIP
    >>> detach = box.on_input(lambda: print(box.value))              # doctest: +SKIP
    >>> detach()                                                      # listener and proxy gone

A listener's proxy is destroyed when it is detached; a jQuery-wrapped element is unwrapped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import js
from pyodide.ffi import JsProxy, create_once_callable, create_proxy

from ..gms import DownloadRequest

__all__ = ["DomTextInput", "JsPreprocessor", "download", "unwrap_element"]

TEXT_INPUT_TYPES = {"text", "search", "email", "url", "tel", ""}


def unwrap_element(value: Any) -> Any:
    """The DOM element behind a jQuery object (``$el.jquery`` set), else ``value``. A jQuery
    object stays a JsProxy; a plain look-alike object arrives converted to a dict."""
    if isinstance(value, JsProxy) and getattr(value, "jquery", None) is not None:
        return js.Reflect.get(value, 0) if int(value.length or 0) else None
    if isinstance(value, dict) and "jquery" in value:
        return value.get("0", value.get(0))
    return value


class DomTextInput:
    """A text ``<input>`` or ``<textarea>`` as a `cxkit.webchat.TypingInput`."""

    def __init__(self, element: Any) -> None:
        self.element = element
        tag = str(getattr(element, "tagName", "")).upper()
        kind = str(getattr(element, "type", "") or "").lower()
        self.is_text_input = tag == "TEXTAREA" or (tag == "INPUT" and kind in TEXT_INPUT_TYPES)

    @property
    def value(self) -> str:
        return str(self.element.value or "")

    def on_input(self, callback: Callable[[], Any]) -> Callable[[], None]:
        proxy = create_proxy(lambda _event: callback())
        self.element.addEventListener("input", proxy)

        def detach() -> None:
            nonlocal proxy
            if proxy is not None:
                self.element.removeEventListener("input", proxy)
                proxy.destroy()
                proxy = None

        return detach


class JsPreprocessor:
    """A JS pre-processor function as a Python callable: it sees a plain JS copy of the raw
    message, and what it changes in place is copied back (the original's in-place rule)."""

    def __init__(self, fn: Any) -> None:
        self.fn = self.js_function = fn  # registerPreProcessor resolves with the page's own function

    def __call__(self, message: dict[str, Any]) -> None:
        from .convert import to_js_plain, to_py_plain

        copy = to_js_plain(message)
        self.fn(copy)
        changed = to_py_plain(copy)
        message.clear()
        message.update(changed)


async def download(request: DownloadRequest, transport: Any,
                   save: Callable[[Any, str], None] | None = None) -> None:
    """Fetch the file with the identity fields and hand it to the user under its name
    (``save(blob, name)`` does that; by default a link in this document)."""
    status, blob, served_name = await transport.fetch_blob(request.url, request.fields,
                                                           headers=dict(request.headers or {}))
    if status != 200 or blob is None:
        raise RuntimeError(f"download failed (HTTP {status})")
    (save or save_in_document)(blob, served_name or request.file_name or "download")


def save_in_document(blob: Any, name: str) -> None:
    """Offer ``blob`` as a download through a hidden link in this document."""
    url = js.URL.createObjectURL(blob)
    try:
        link = js.document.createElement("a")
        link.href = url
        link.download = name
        link.style.display = "none"
        js.document.body.appendChild(link)
        link.click()
        link.remove()
    finally:
        js.setTimeout(create_once_callable(lambda: js.URL.revokeObjectURL(url)), 0)
