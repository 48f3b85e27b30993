"""ChatMessage and friends: typed views of the service's normalized messages."""

import doctest
from datetime import UTC, datetime

import cxkit.ui.messages
from cxkit.ui import ChatMessage, FileDetails, Sender, messages_from_event
from cxkit.webchat import normalize


def test_docstring_examples():
    assert doctest.testmod(cxkit.ui.messages).failed == 0


def test_agent_message_from_a_normalized_gms_message():
    raw = {"from": {"nickname": "Anna", "participantId": 2, "type": "Agent"},
           "index": 4, "type": "Message", "text": "<b>Hello</b>", "utcTime": 1_700_000_000_000}
    m = ChatMessage.from_normalized(normalize(raw))
    assert (m.type, m.text, m.index, m.timestamp) == ("Message", "<b>Hello</b>", 4, 1_700_000_000_000)
    assert m.sender == Sender(id=2, type="Agent", name="Anna")
    assert m.from_agent and not m.from_client and m.is_text and not m.is_file
    assert m.time == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert m.file is None and m.restoring is False
    assert m.raw["from"]["name"] == "Anna"


def test_bot_and_supervisor_count_as_agents():
    for kind in ("Bot", "Supervisor"):
        assert ChatMessage.from_normalized({"type": "Message", "from": {"type": kind}}).from_agent


def test_file_message_details():
    raw = {"from": {"nickname": "Ada", "participantId": 1, "type": "Client"}, "index": 7,
           "type": "FileUploaded", "utcTime": 5,
           "userData": {"file-id": "f-1", "file-name": "a.pdf", "file-size": "2048", "file-type": "application/pdf"}}
    m = ChatMessage.from_normalized(normalize(raw))
    assert m.is_file and m.from_client
    assert m.file == FileDetails(id="f-1", name="a.pdf", size=2048, mime_type="application/pdf")
    assert m.file.size_text == "2.0 KB"


def test_file_details_tolerate_missing_and_odd_values():
    assert FileDetails.from_dict(None) is None
    assert FileDetails.from_dict({"file-name": "x"}) is None  # no id: nothing to download
    f = FileDetails.from_dict({"file-id": 9, "file-size": "n/a"})
    assert (f.id, f.name, f.size, f.size_text) == ("9", "file", None, "")
    assert FileDetails("1", "x", 512).size_text == "512 B"
    assert FileDetails("1", "x", 3 * 1024 * 1024).size_text == "3.0 MB"


def test_garbage_fields_do_not_raise():
    m = ChatMessage.from_normalized({"type": None, "index": "abc", "timestamp": True, "from": "x"})
    assert (m.type, m.index, m.timestamp, m.sender, m.time) == ("", None, None, Sender(), None)
    assert ChatMessage.from_normalized({"type": "Message", "index": "12"}).index == 12


def test_typing_messages_are_marked():
    assert ChatMessage.from_normalized({"type": "TypingStarted"}).is_typing


def test_messages_from_event_carry_the_restoring_flag():
    data = {"restoring": True, "messages": [{"type": "Message", "text": "a", "index": 1}, "junk",
                                            {"type": "Message", "text": "b", "index": 2}]}
    messages = messages_from_event(data)
    assert [m.text for m in messages] == ["a", "b"]
    assert all(m.restoring for m in messages)
    assert messages_from_event(None) == [] and messages_from_event({"messages": "x"}) == []


def test_messages_are_frozen_and_compare_without_raw():
    a = ChatMessage.from_normalized({"type": "Message", "text": "a", "index": 1, "extra": 1})
    b = ChatMessage.from_normalized({"type": "Message", "text": "a", "index": 1})
    assert a == b
    try:
        a.text = "changed"  # type: ignore[misc]
    except AttributeError:
        pass
    else:
        raise AssertionError("ChatMessage must be immutable")


def test_chat_module_docstring_examples():
    import cxkit.ui.chat

    assert doctest.testmod(cxkit.ui.chat).attempted >= 2
    assert doctest.testmod(cxkit.ui.chat).failed == 0


def test_reason_text_for_every_rejection_shape():
    from cxkit.bus import CommandRejected
    from cxkit.ui import reason_text

    assert reason_text(CommandRejected()) == "unknown error"
    assert reason_text(CommandRejected({"statusText": "Not Found", "status": 404})) == "Not Found"
    assert reason_text(CommandRejected({"errorReason": "FileUploadError"})) == "FileUploadError"
    assert reason_text(CommandRejected({"errors": [{"code": 201}]})) == "201"
    assert reason_text(ValueError("boom")) == "boom"
