"""`CONTROL_API`, which the reference renders, is the control API the app serves: same paths, same
methods, nothing missing and nothing extra."""

from __future__ import annotations

from cxkit.mockgms.config import MockConfig
from cxkit.mockgms.routes_control import CONTROL_API, control_routes
from cxkit.mockgms.state import ServerState


def _served() -> set[tuple[str, str]]:
    out = set()
    for route in control_routes(ServerState(MockConfig(), "silent")):
        path = route.path.replace("{chat_id}", "{chatId}").replace("{file_id}", "{fileId}")
        out |= {(method, path) for method in route.methods or () if method != "HEAD"}
    return out


def test_the_table_is_what_the_app_serves():
    documented = {(method, path.split("?")[0]) for method, path, _ in CONTROL_API}
    assert documented == _served()
    assert all(doc for _, _, doc in CONTROL_API)
