"""cxkit: the Genesys Widgets bus and WebChatService in Python.

    >>> import cxkit
    >>> cxkit.__version__
    '0.1.0'
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
