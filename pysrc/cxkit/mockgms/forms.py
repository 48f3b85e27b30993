"""Request bodies: form-encoded or multipart, strictly UTF-8, bounded field count.

`userData[key]=value` fields are gathered into a dict, as jQuery encodes nested objects.

    >>> from cxkit.mockgms.forms import parse_urlencoded, split_user_data
    >>> fields = parse_urlencoded(b"nickname=N&userData%5Ba%5D=1&userData[b]=x%20y")
    >>> split_user_data(fields)
    ({'nickname': 'N'}, {'a': '1', 'b': 'x y'})
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from .errors import Code, GmsError
from .mediatype import upload_media_type

__all__ = ["Upload", "ParsedForm", "parse_urlencoded", "split_user_data", "read_form"]

MAX_FIELDS = 1000
_USER_DATA = re.compile(r"^userData\[(.*)\]$", re.S)


@dataclass
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass
class ParsedForm:
    fields: dict[str, str]
    user_data: dict[str, str]
    files: dict[str, Upload]


def parse_urlencoded(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
        if "%" not in text and "+" not in text:
            return _split_plain(text)
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError:
        raise GmsError(Code.BAD_REQUEST, "Request body is not valid UTF-8") from None
    except ValueError as exc:
        raise GmsError(Code.BAD_REQUEST, f"Malformed form body: {exc}") from None
    return dict(pairs)


def _split_plain(text: str) -> dict[str, str]:
    """parse_qsl's answer for a body with nothing to unquote (a polling refresh): its per-field
    unquote was the largest cost of a refresh in the app."""
    if text.count("&") + 1 > MAX_FIELDS:
        raise ValueError("Max number of fields exceeded")
    fields: dict[str, str] = {}
    for pair in text.split("&"):
        if pair:
            name, _, value = pair.partition("=")
            fields[name] = value
    return fields


def split_user_data(fields: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    plain: dict[str, str] = {}
    user_data: dict[str, str] = {}
    for key, value in fields.items():
        m = _USER_DATA.match(key) if key.startswith("userData[") else None
        if m:
            user_data[m.group(1)] = value
        else:
            plain[key] = value
    return plain, user_data


async def read_form(request: Request, max_file_bytes: int) -> ParsedForm:
    """Parse the request body; raises GmsError (code 100) for anything malformed."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    files: dict[str, Upload] = {}
    if ctype == "multipart/form-data":
        try:
            form = await request.form(max_files=4, max_fields=MAX_FIELDS, max_part_size=1024 * 1024)
        except MultiPartException as exc:
            raise GmsError(Code.BAD_REQUEST, f"Malformed multipart body: {exc.message}") from None
        except HTTPException as exc:  # Starlette wraps parser errors when running inside an app
            raise GmsError(Code.BAD_REQUEST, f"Malformed multipart body: {exc.detail}") from None
        fields: dict[str, str] = {}
        try:
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    data = await value.read(max_file_bytes + 1)
                    files[key] = Upload(value.filename or "file", upload_media_type(value.content_type), data)
                else:
                    fields[key] = value
        finally:
            await form.close()
    elif ctype in ("application/x-www-form-urlencoded", ""):
        fields = parse_urlencoded(await request.body())
    else:
        raise GmsError(Code.BAD_REQUEST, f"Unsupported Content-Type {ctype!r}: send form-encoded or multipart")
    plain, user_data = split_user_data(fields)
    return ParsedForm(plain, user_data, files)
