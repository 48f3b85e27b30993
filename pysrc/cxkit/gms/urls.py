"""Chat API v2 URL shapes, as the original builds them (spec C.1).

``dataURL`` loses one trailing ``/``; request-chat posts to it with ``/`` re-added when
``enableUrlTrailingSlash`` (the default); every other operation posts to
``{base}/{chatId}/{operation}`` — with no chat yet the chatId is empty, giving ``base//op``,
exactly as the original did::

    >>> from cxkit.gms import ChatUrls
    >>> urls = ChatUrls("http://h/genesys/2/chat/cs/")
    >>> urls.request_chat(), urls.operation("c1", "refresh"), urls.operation("", "customNotice")
    ('http://h/genesys/2/chat/cs/', 'http://h/genesys/2/chat/cs/c1/refresh', 'http://h/genesys/2/chat/cs//customNotice')
    >>> ChatUrls("http://h/genesys/2/chat/cs", trailing_slash=False).request_chat()
    'http://h/genesys/2/chat/cs'
"""

from __future__ import annotations

__all__ = ["ChatUrls"]


class ChatUrls:
    """URLs for one chat service. ``server_url`` (config ``serverURL``) is an alternative base
    used verbatim, without the trailing-slash handling.

        >>> ChatUrls("http://h/genesys/2/chat/cs").file_download("c1", "f9")
        'http://h/genesys/2/chat/cs/c1/file/f9/download'
        >>> ChatUrls(server_url="http://h/chat/").request_chat()
        'http://h/chat/'
    """

    def __init__(self, data_url: str = "", *, trailing_slash: bool = True,
                 server_url: str = "") -> None:
        if data_url:
            self.base = data_url[:-1] if data_url.endswith("/") else data_url
            self._request_chat = self.base + ("/" if trailing_slash else "")
        else:
            self.base = server_url
            self._request_chat = server_url

    def request_chat(self) -> str:
        return self._request_chat

    def operation(self, chat_id: str, operation: str) -> str:
        return f"{self.base}/{chat_id}/{operation}"

    def file_download(self, chat_id: str, file_id: str) -> str:
        return self.operation(chat_id, f"file/{file_id}/download")
