"""cxkit.gms — a GMS Chat API v2 client in pure Python (CPython and Pyodide alike).

`ChatClient` is the protocol of the chat operations (`GmsClient` over REST is one).
The network is a port: give `GmsClient` any `Transport` (the browser's fetch, or
`HttpxTransport`, which also speaks to an in-process ASGI app such as the mock GMS)::

    import asyncio, httpx
    from cxkit.gms import GmsClient, HttpxTransport, Identity

    async def main():
        transport = HttpxTransport(transport=httpx.MockTransport(
            lambda request: httpx.Response(200, json={"statusCode": 0, "messages": []})))
        client = GmsClient(transport, data_url="http://gms/genesys/2/chat/customer-support")
        reply = await client.refresh(Identity(chat_id="c1"), transcript_position=1)
        print(reply.kind)  # ok

    asyncio.run(main())
"""

from .chat_client import ChatClient
from .client import DownloadRequest, GmsClient
from .cometd import BayeuxClient, PublishFailed
from .forms import Identity, form_value, identity_fields, identity_parts, param_fields, user_data_fields
from .responses import STATUS_FAILED, STATUS_OK, STATUS_RETRY, GmsReply, parse_reply
from .transport import (
                        BytesFile,
                        FileHandle,
                        FormFields,
                        HttpResponse,
                        HttpxTransport,
                        MultipartParts,
                        Transport,
                        encode_form,
)
from .urls import ChatUrls

__all__ = [
    "BayeuxClient", "BytesFile", "ChatClient", "ChatUrls", "DownloadRequest", "FileHandle", "FormFields", "GmsClient",
    "GmsReply",
    "HttpResponse", "HttpxTransport", "Identity", "MultipartParts", "PublishFailed", "STATUS_FAILED", "STATUS_OK",
    "STATUS_RETRY", "Transport", "encode_form", "identity_fields", "identity_parts", "form_value", "param_fields",
    "parse_reply", "user_data_fields",
]
