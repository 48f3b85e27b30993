"""The browser layer: the only part of cxkit that imports ``js`` and ``pyodide``.

    <script>window._genesys = {widgets: {webchat: {dataURL: "/genesys/2/chat/request"}}}</script>
    <script src="/cxkit/widgets.js"></script>

``widgets.js`` starts Python in a Web Worker (:mod:`cxkit.browser.worker`), or, on pages that
run Python themselves, under PyScript on the main thread, where it runs :func:`boot`. Everything here
converts and connects; decisions live in :mod:`cxkit.bus` and :mod:`cxkit.webchat`.
"""

from .boot import boot

__all__ = ["boot"]
