"""Every resolution/rejection string of the service, word for word (the commands page wins
where it and the other references differ; see COMPAT.md). Page code may compare a rejection
with them; the ``{}`` ones are filled in with ``format``:

    >>> from cxkit.webchat import messages as msg
    >>> msg.NO_ACTIVE_SESSION
    'There is no active chat session'
    >>> msg.MESSAGE_TOO_LONG.format(140)
    'Message length exceeds configured threshold of 140 characters'
"""

__all__ = [
    "ACCESS_DENIED", "ACCESS_DENIED_RESTORE", "ALREADY_ACTIVE", "ALREADY_RESTORING",
    "COMETD_FILES", "COMETD_POLLING", "FETCH_HISTORY_SYNC", "INVALID_FILTERS", "INVALID_INPUT",
    "MALFORMED_USER_DATA", "MESSAGE_TOO_LONG", "NO_ACTIVE_SESSION", "NO_ACTIVE_SESSION_SHORT",
    "NO_DOWNLOADER", "NO_FILE", "NO_FILE_ID", "NO_MESSAGE", "NO_MORE_MESSAGES", "NO_PREPROCESSOR",
    "NOT_POLLING", "POLL_IN_PROGRESS", "RESTORE_SESSION_ACTIVE",
]

NO_ACTIVE_SESSION = "There is no active chat session"
NO_ACTIVE_SESSION_SHORT = "No active chat session"
ALREADY_ACTIVE = "There is already an active chat session"
MALFORMED_USER_DATA = "malformed data object provided in userData property"
NO_MESSAGE = "No message text provided"
MESSAGE_TOO_LONG = "Message length exceeds configured threshold of {} characters"
INVALID_FILTERS = ("Missing or invalid filters provided. Please provide a regular expression or "
                   "an array of regular expressions.")
ACCESS_DENIED = ("Access Denied to private command. Only WebChatService is allowed to invoke "
                 "this command.")
ACCESS_DENIED_RESTORE = ("Access Denied to private command. Only WebChatService is allowed to "
                         "invoke this command in Non-Async mode.")
POLL_IN_PROGRESS = "previous poll has not finished."
COMETD_POLLING = "Polling is not supported when using CometD"
COMETD_FILES = "File Uploads are not currently supported when using CometD"
NOT_POLLING = "Not currently polling. Ignoring command."
ALREADY_RESTORING = "Already restoring. Ignoring request."
RESTORE_SESSION_ACTIVE = "Chat session is already active, ignoring restore command."
FETCH_HISTORY_SYNC = "Fetching history messages applies only to Asynchronous chat"
NO_MORE_MESSAGES = "No more messages to fetch"
INVALID_INPUT = ("Invalid value provided for the 'input' property. An HTML element reference to "
                 "a textarea or text input is required.")
NO_PREPROCESSOR = "No preprocessor function provided. Type provided was '{}'."
# Ours: the original hung or threw on these inputs.
NO_FILE = "No file provided. Pass a file input element, a list of files or a file."
NO_FILE_ID = "No fileId provided"
NO_DOWNLOADER = "File downloads are not available on this page"
