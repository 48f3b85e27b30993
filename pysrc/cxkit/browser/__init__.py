"""The browser layer: Pyodide-only glue, where the core's ports meet ``js`` and ``pyodide``.

Its modules import ``js`` or ``pyodide`` and run only in the browser (``handles``, the call
handle table, is plain Python). It is not the only browser-only code: in :mod:`cxkit.ui`, the
page-side prototyping API, ``cxkit.ui.page`` and ``cxkit.ui.chatwindow`` import ``js`` too, while
``cxkit.ui.chat`` and ``cxkit.ui.messages`` are plain Python. The core (:mod:`cxkit.bus`,
:mod:`cxkit.webchat`, :mod:`cxkit.gms`) imports none of them.

    <script>window._genesys = {widgets: {webchat: {dataURL: "/genesys/2/chat/request"}}}</script>
    <script src="/cxkit/widgets.js"></script>

``widgets.js`` starts Python in a Web Worker (:mod:`cxkit.browser.worker`), or, on pages that
run Python themselves, under PyScript on the main thread, where it runs :func:`boot`. Everything here
converts and connects; decisions live in :mod:`cxkit.bus` and :mod:`cxkit.webchat`.
"""

from .boot import boot

__all__ = ["boot"]
