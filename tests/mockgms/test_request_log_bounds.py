"""The request log is bounded by bytes as well as entries, and a reset gives its memory back."""

from __future__ import annotations

import gc
import tracemalloc

from cxkit.mockgms import MockGMS
from cxkit.mockgms.requestlog import RequestLog

from .support import BASE, Customer, client_for, make_gms

FIELD = "v" * 200_000


async def flood(gms: MockGMS, posts: int = 20) -> Customer:
    async with client_for(gms) as c:
        cust = Customer(c)
        await cust.request_chat()
        # multipart lets every field be big (up to 1 MiB each); the upload endpoint takes ~10 MiB
        fields = {f"f{i}": (None, FIELD) for i in range(10)}
        for _ in range(posts):
            r = await c.post(f"{BASE}/{cust.chat_id}/file", files={**fields, **{k: (None, v) for k, v in
                                                                              cust.identity().items()}})
            assert r.status_code == 400  # no file part
        listing = await c.get("/mock/requests")
        assert len(listing.content) < 2 << 20, len(listing.content)
    return cust


async def test_logged_values_are_cut_and_the_log_keeps_its_byte_bound() -> None:
    gms = make_gms(request_log_bytes=64 << 10, request_log_value_chars=1000)
    gc.collect()
    tracemalloc.start()
    try:
        await flood(gms)
        gc.collect()
        retained, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # unbounded, the log held 20 x 2 MB of field text
    assert retained < 6 << 20, retained
    assert gms.state.log.bytes <= 64 << 10
    entries = gms.requests("fileUpload")
    assert entries and len(entries) < 20  # the oldest went to keep the bound
    newest = entries[-1]
    assert newest["form"]["f0"] == "v" * 1000 and sorted(newest["truncated"]) == [f"f{i}" for i in range(10)]
    assert "_cost" not in newest and "_kept" not in newest


async def test_reset_empties_the_log_and_its_byte_count() -> None:
    gms = make_gms()
    await flood(gms, posts=3)
    assert gms.state.log.bytes > 300_000  # three entries of ten 10,000-char values
    gms.reset()
    assert gms.state.log.bytes == 0 and gms.requests() == []


def test_entry_count_bound_still_holds_and_size_zero_keeps_nothing() -> None:
    log = RequestLog(size=2)
    for i in range(5):
        log.done(log.record("send", "c", "s", {"m": str(i)}))
    assert [e["form"]["m"] for e in log.entries()] == ["3", "4"]
    empty = RequestLog(size=0)
    entry = empty.record("send", "c", "s", {"m": "x" * 100})
    assert empty.entries() == [] and empty.bytes == 0 and entry["form"] == {"m": "x" * 100}
