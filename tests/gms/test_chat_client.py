"""Both chat clients, REST and CometD, are `ChatClient`s: the service drives either the same way."""

import inspect

import httpx

from cxkit.gms import ChatClient, GmsClient, HttpxTransport
from cxkit.webchat.push import PushClient

OPERATIONS = [name for name, member in vars(ChatClient).items()
              if callable(member) and not name.startswith("_")]


def _transport() -> HttpxTransport:
    return HttpxTransport(transport=httpx.MockTransport(lambda request: httpx.Response(200)))


def test_the_rest_client_is_a_chat_client():
    assert isinstance(GmsClient(_transport()), ChatClient)


def test_the_cometd_client_is_a_chat_client():
    assert isinstance(PushClient(mode=None, api_url="http://gms.test/genesys/2/chat-ntf"), ChatClient)


def test_both_clients_take_the_protocols_arguments():
    assert len(OPERATIONS) == 11
    for name in OPERATIONS:
        expected = list(inspect.signature(getattr(ChatClient, name)).parameters)
        for client in (GmsClient, PushClient):
            assert list(inspect.signature(getattr(client, name)).parameters) == expected, (client, name)


def test_an_object_missing_an_operation_is_not_a_chat_client():
    class Partial:
        headers: dict[str, str] = {}
        timeout = file_upload_timeout = None

        async def send(self, identity, message, message_type="text", event_attributes=None):
            raise NotImplementedError

    assert not isinstance(Partial(), ChatClient)
