"""The browser layer: the only part of cxkit that imports ``js`` and ``pyodide``.

    <script>window._genesys = {widgets: {webchat: {dataURL: "/genesys/2/chat/request"}}}</script>
    <script src="/widgets.js"></script>

``widgets.js`` boots PyScript on the bundled Pyodide and runs :func:`boot`. Everything here
converts and connects; decisions live in :mod:`cxkit.bus` and :mod:`cxkit.webchat`.
"""

from .boot import boot

__all__ = ["boot"]
