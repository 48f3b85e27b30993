"""The exact strings the bus settles promises with; code written for the original product matches on them.

    >>> from cxkit.bus.messages import CANCELLED_BY_BEFORE
    >>> CANCELLED_BY_BEFORE
    "Command was cancelled by a 'before' function."
"""

CANCELLED_BY_BEFORE = "Command was cancelled by a 'before' function."
PLUGIN_LOAD_FAILED = "Could not load plugin file in given location. Check your plugins path option."
COMMAND_DOES_NOT_EXIST = "Command does not exist"
COMMAND_CANCELLED = "Command was cancelled"  # an async handler's task was cancelled (not in the original)


def plugin_file_failed(name: str) -> str:
    """The rejection of `loadPlugin(name)` when nothing can provide the plugin."""
    return f"Could not load plugin file: {name}"
