"""What the worker holds of things that stay on the page's main thread: JS functions and DOM
elements, known by handle.

    >>> fn = RemoteFunction(link, 7)          # doctest: +SKIP
    >>> fn({"message": "hi"}).done(print)     # runs on the main thread; the answer comes later

The main thread keeps the real object until the handle is dropped here (``__del__``: a JS
function stays held exactly as long as the bus or the service keeps its Python stand-in).
Sent back to JS, a handle becomes the very function or element it stands for.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any, Protocol

from ..bus import Deferred

__all__ = ["Link", "RemoteElement", "RemoteFunction", "TEXT_INPUT_TYPES", "handle_of"]

TEXT_INPUT_TYPES = {"text", "search", "email", "url", "tel", ""}


class Link(Protocol):
    def send(self, *op: Any) -> None: ...

    def drop(self, handle: int) -> None: ...

    def ask(self, handle: int, args: list[Any], op: str = "call") -> Deferred: ...


class _Handle:
    """What every handle is: its number on the page, sent back as ``{"__cxkit": kind, "id"}``,
    and dropped there when this stand-in goes."""

    __slots__ = ("link", "id")
    kind = ""

    def __init__(self, link: Link, handle: int) -> None:
        self.link = link
        self.id = handle

    def to_dict(self) -> dict[str, Any]:
        return {"__cxkit": self.kind, "id": self.id}

    def __del__(self) -> None:
        self.link.drop(self.id)


class RemoteFunction(_Handle):
    """A JS function of the page. Calling it returns a Deferred of its return value; the
    Deferred of ``edit(*args)`` resolves with ``(value, args)``, the arguments as the function
    left them (pre-processors change the message in place)."""

    __slots__ = ()
    kind = "fn"
    typeof = "function"

    def __call__(self, *args: Any) -> Deferred:
        result = Deferred()
        self.edit(*args).done(lambda value, _args: result.resolve(value)).fail(result.reject)
        return result

    def edit(self, *args: Any) -> Deferred:
        return self.link.ask(self.id, list(args))

    def __repr__(self) -> str:
        return f"<JS function #{self.id}>"


class RemoteElement(_Handle):
    """A DOM element of the page: a `cxkit.webchat.TypingInput` (its text is posted on each
    edit) and a `cxkit.webchat.FileInput` (``files``: the JS Files chosen when it was passed)."""

    kind = "el"

    def __init__(self, link: Link, handle: int, tag: str, input_type: str, value: str,
                 files: list[Any] | None) -> None:
        super().__init__(link, handle)
        self.tag = tag.upper()
        self.value = value
        self.files = files
        self.is_text_input = self.tag == "TEXTAREA" or (self.tag == "INPUT" and input_type.lower() in TEXT_INPUT_TYPES)
        self._callbacks: list[Callable[[], Any]] = []

    def on_input(self, callback: Callable[[], Any]) -> Callable[[], None]:
        if not self._callbacks:
            self.link.send("listen", self.id)
        self._callbacks.append(callback)

        def detach() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)
                if not self._callbacks:
                    self.link.send("unlisten", self.id)

        return detach

    async def read(self) -> str:
        """The element's value now, asked of the page: page code may have set it, which no input
        event announces (``el.value = ''`` after sending the text)."""
        value, _ = await self.link.ask(self.id, [], "read")
        self.value = value if isinstance(value, str) else ""
        return self.value

    def typed(self, value: str) -> None:
        """The page's input event: the element now holds ``value``."""
        self.value = value
        for callback in list(self._callbacks):
            callback()

    def __repr__(self) -> str:
        return f"<{self.tag} #{self.id}>"


def handle_of(link: Link, value: dict[str, Any], elements: MutableMapping[int, Any]) -> Any:
    """The stand-in for a handle the main thread sent (``{"__cxkit": "fn"|"el", "id", ...}``);
    elements are noted in ``elements`` (weakly, so a dropped one is released) for their input events."""
    if value["__cxkit"] == "fn":
        return RemoteFunction(link, int(value["id"]))
    element = RemoteElement(link, int(value["id"]), str(value.get("tag") or ""), str(value.get("type") or ""),
                            str(value.get("value") or ""), value.get("files"))
    elements[element.id] = element
    return element
