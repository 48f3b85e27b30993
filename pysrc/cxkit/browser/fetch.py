"""The GMS transport in the browser: ``fetch`` with an AbortController timeout.

    >>> transport = FetchTransport()                                   # doctest: +SKIP
    >>> await transport.post_form(url, [("alias", "")], headers={}, timeout=3.0)   # doctest: +SKIP
    HttpResponse(status=200, text='{"statusCode":0,...}')

Forms go out as ``application/x-www-form-urlencoded`` without a charset (as the original
sends them); files go into a ``FormData`` as the JS ``File`` itself, never copied through Python.
Any failure to get an HTTP answer (network error, abort, timeout) is status 0.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import js

from ..gms import FormFields, HttpResponse, MultipartParts, encode_form
from ..gms.forms import json_text
from .convert import to_js_plain

__all__ = ["DOWNLOAD_TIMEOUT_S", "FetchTransport", "PageAddress", "attachment_name", "page_relative"]

#: A download that has received nothing for this long (no answer, or a body that stopped coming)
#: settles downloadFile with a failure; one that keeps coming is waited for, however long.
DOWNLOAD_TIMEOUT_S = 60.0


#: ``<meta name="referrer">`` values fetch() takes, with the legacy ones browsers still read.
REFERRER_POLICIES = {p: p for p in (
    "no-referrer", "no-referrer-when-downgrade", "same-origin", "origin", "strict-origin",
    "origin-when-cross-origin", "strict-origin-when-cross-origin", "unsafe-url")} | {
    "never": "no-referrer", "default": "strict-origin-when-cross-origin", "always": "unsafe-url",
    "origin-when-crossorigin": "origin-when-cross-origin"}


class PageAddress:
    """Where the page is, for the requests the worker makes for it: ``url`` (their Referer),
    ``base`` (relative URLs resolve against it) and ``policy``, the referrer policy of the page's
    ``<meta name="referrer">`` (a value fetch() does not take is ignored, as browsers ignore it);
    the worker updates the first two when a single-page app moves. Empty on the page's own
    thread, where the browser knows them.

        >>> address = PageAddress("http://shop.example/a/page", "http://shop.example/a/page", "Never")
        >>> address.policy
        'no-referrer'
    """

    def __init__(self, url: str = "", base: str = "", policy: str = "") -> None:
        self.url = url
        self.base = base
        self.policy = REFERRER_POLICIES.get(policy.strip().lower(), "")


def page_relative(url: str, base: str) -> str:
    """``url`` resolved as the page resolves it, against the page's base URL ``base`` ("": left as
    it is, for the page's own thread). In the worker a relative URL would otherwise resolve
    against the worker's script, in the bundle's folder or a ``blob:``.

        >>> page_relative("../genesys/2/chat/cs", "http://shop.example/site/page.html")   # doctest: +SKIP
        'http://shop.example/genesys/2/chat/cs'
    """
    if not base:
        return url
    try:
        return str(js.URL.new(url, base).href)
    except Exception:  # not a URL even there: fetch says so, as it would on the page
        return url


def attachment_name(disposition: str) -> str:
    """The file name of a ``Content-Disposition`` header (``filename*`` preferred)."""
    star = re.search(r"filename\*\s*=\s*([^']*)'[^']*'([^;]+)", disposition)
    if star:
        try:  # RFC 5987: UTF-8 is the charset every browser sends
            return str(js.decodeURIComponent(star.group(2).strip()))
        except Exception:
            return star.group(2).strip()
    plain = re.search(r'filename\s*=\s*"((?:[^"\\]|\\.)*)"|filename\s*=\s*([^;]+)', disposition)
    if plain:
        return (plain.group(1) if plain.group(1) is not None else plain.group(2)).strip()
    return ""


class FetchTransport:
    """`cxkit.gms.Transport` over the browser's ``fetch``. In the worker, ``address`` (the page's)
    resolves relative URLs and gives the Referer, as the page's own requests have them, instead of
    the worker script's URL."""

    def __init__(self, *, credentials: str = "same-origin", address: PageAddress | None = None) -> None:
        self.credentials = credentials
        self.address = address or PageAddress()

    async def post_form(self, url: str, fields: FormFields, *, headers: Mapping[str, str],
                        timeout: float | None) -> HttpResponse:
        all_headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
        return await self._post(url, encode_form(fields), all_headers, timeout)

    async def post_multipart(self, url: str, parts: MultipartParts, *, headers: Mapping[str, str],
                             timeout: float | None) -> HttpResponse:
        form = js.FormData.new()
        for name, value in parts:
            if isinstance(value, str):
                form.append(name, value)
            else:
                blob = getattr(value, "js_file", value)
                form.append(name, blob, value.name)
        return await self._post(url, form, dict(headers), timeout)

    async def post_json(self, url: str, payload: Any, *, headers: Mapping[str, str],
                        timeout: float | None) -> HttpResponse:
        all_headers = {"Content-Type": "application/json;charset=UTF-8", **headers}
        return await self._post(url, json_text(payload), all_headers, timeout)

    async def fetch_blob(self, url: str, parts: MultipartParts, *, headers: Mapping[str, str],
                         timeout: float | None = DOWNLOAD_TIMEOUT_S) -> tuple[int, Any, str]:
        """POST multipart and return ``(status, Blob, file name from Content-Disposition)``;
        status 0 when no answer came, or nothing more for ``timeout`` seconds (a whole-request
        timeout failed every download slower than it, however steadily it came)."""
        form = js.FormData.new()
        for name, value in parts:
            form.append(name, value)
        stop = js.AbortController.new()
        abort = js.Function.prototype.bind.call(stop.abort, stop)  # a JS function: no proxy to destroy
        wait_ms = int(timeout * 1000) if timeout else 0
        timer = js.setTimeout(abort, wait_ms) if wait_ms else None
        try:
            init = self._init(form, dict(headers), stop.signal)
            response = await js.fetch(page_relative(url, self.address.base), init)
            if response.body is None:
                blob = await response.blob()
            else:
                reader, chunks = response.body.getReader(), js.Array.new()
                while True:
                    if timer is not None:  # re-armed for each part: it waits for the next byte, not the end
                        js.clearTimeout(timer)
                        timer = js.setTimeout(abort, wait_ms)
                    part = await reader.read()
                    if part.done:
                        break
                    chunks.push(part.value)
                blob = js.Blob.new(chunks, to_js_plain({"type": response.headers.get("content-type") or ""}))
        except Exception:
            return 0, None, ""
        finally:
            if timer is not None:
                js.clearTimeout(timer)
        disposition = response.headers.get("content-disposition") or ""
        return int(response.status), blob, attachment_name(str(disposition))

    def _init(self, body: Any, headers: dict[str, str], signal: Any) -> Any:
        init = {"method": "POST", "body": body, "headers": headers, "credentials": self.credentials}
        if self.address.url:
            init["referrer"] = self.address.url
        if self.address.policy:  # the page's, which the worker does not have
            init["referrerPolicy"] = self.address.policy
        if signal is not None:
            init["signal"] = signal
        return to_js_plain(init)

    async def _post(self, url: str, body: Any, headers: dict[str, str],
                    timeout: float | None) -> HttpResponse:
        signal = _timeout_signal(timeout)
        try:
            response = await js.fetch(page_relative(url, self.address.base), self._init(body, headers, signal))
            text = await response.text()
        except Exception as exc:  # network failure, CORS refusal or the timeout
            return HttpResponse(0, "", "timeout" if signal is not None and signal.aborted else str(exc))
        return HttpResponse(int(response.status), text, str(response.statusText))


def _timeout_signal(timeout: float | None) -> Any:
    # AbortSignal.timeout needs no timer callback from Python, so no proxy is made per request.
    return js.AbortSignal.timeout(int(timeout * 1000)) if timeout else None
