"""The remaining Chat V2 operations: customNotice, updateData, updateNickname, pushUrl."""

from __future__ import annotations

from cxkit.mockgms import MockGMS

from .support import BASE, Customer


async def test_user_data_parsed_on_request_chat(client, gms: MockGMS) -> None:
    r = await client.post(BASE + "/", data={
        "nickname": "N", "userData[GCTI_LanguageCode]": "en", "userData[a]": "1", "userData[_genesys_url]": "http://x/?a=b&c",
    })
    chat = gms.chat(r.json()["chatId"])
    assert chat["userData"] == {"GCTI_LanguageCode": "en", "a": "1", "_genesys_url": "http://x/?a=b&c"}


async def test_update_data_merges(customer: Customer, gms: MockGMS) -> None:
    await customer.client.post(f"{BASE}/{customer.chat_id}/updateData",
                               data={**customer.identity(), "userData[x]": "2", "userData[y]": "3"})
    r = await customer.op("updateData", **{"userData[x]": "4"})
    assert r.json()["statusCode"] == 0 and r.json()["messages"] == []
    assert gms.chat(customer.chat_id)["userData"] == {"x": "4", "y": "3"}


async def test_custom_notice(customer: Customer, gms: MockGMS) -> None:
    r = await customer.op("customNotice", message="custom!", eventAttributes='{"k": "v"}', transcriptPosition="2")
    [msg] = r.json()["messages"]
    assert msg["type"] == "CustomNotice" and msg["text"] == "custom!" and msg["eventAttributes"] == {"k": "v"}
    assert msg["from"]["type"] == "Client"


async def test_update_nickname(customer: Customer, gms: MockGMS) -> None:
    r = await customer.op("updateNickname", nickname="New Name", transcriptPosition="2")
    [msg] = r.json()["messages"]
    assert msg["type"] == "NicknameUpdated" and msg["from"]["nickname"] == "New Name"
    await customer.op("send", message="hi")
    assert gms.chat(customer.chat_id)["messages"][-1]["from"]["nickname"] == "New Name"
    missing = await customer.op("updateNickname", nickname="")
    assert missing.json()["errors"][0]["code"] == 161


async def test_push_url(customer: Customer) -> None:
    r = await customer.op("pushUrl", pushUrl="https://example.org/page", transcriptPosition="2")
    [msg] = r.json()["messages"]
    assert msg["type"] == "PushUrl" and msg["text"] == "https://example.org/page"
    missing = await customer.op("pushUrl")
    assert missing.status_code == 400 and missing.json()["errors"][0]["code"] == 100


async def test_request_log_records_operations_and_fields(customer: Customer, gms: MockGMS) -> None:
    await customer.op("send", message="hi", messageType="text")
    entries = gms.requests()
    assert [e["operation"] for e in entries] == ["requestChat", "send"]
    send = gms.requests(operation="send")[0]
    assert send["chatId"] == customer.chat_id and send["form"]["message"] == "hi"
    assert send["form"]["messageType"] == "text" and send["httpStatus"] == 200 and send["statusCode"] == 0
    assert isinstance(send["time"], int)
    r = await customer.client.get("/mock/requests", params={"operation": "requestChat"})
    assert r.json()["requests"][0]["form"]["nickname"] == "Nick"
