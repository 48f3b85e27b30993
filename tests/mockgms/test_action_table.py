"""The action table is what `apply_action` enforces: required parameters, types, bounds, defaults."""

from __future__ import annotations

import pytest

from cxkit.mockgms import ACTION_TABLE, ACTIONS, ActionError, MockConfig
from cxkit.mockgms.actions import apply_action
from cxkit.mockgms.store import ChatStore


@pytest.fixture
def joined():
    store = ChatStore(MockConfig(idle_close_seconds=42))
    chat = store.create("svc", "Nick")
    apply_action(store, chat, "join", {})
    return store, chat


def test_actions_are_the_table_in_order():
    assert ACTIONS == tuple(a.name for a in ACTION_TABLE)
    assert len(set(ACTIONS)) == len(ACTIONS) and all(a.doc for a in ACTION_TABLE)
    assert all(p.doc for a in ACTION_TABLE for p in a.params)


@pytest.mark.parametrize("action", [a for a in ACTION_TABLE if any(p.required for p in a.params)],
                         ids=lambda a: a.name)
def test_every_required_parameter_is_required(joined, action):
    store, chat = joined
    for missing in (p for p in action.params if p.required):
        given = {p.name: "x" for p in action.params if p.required and p is not missing}
        with pytest.raises(ActionError, match=f"'{missing.name}' is required") as caught:
            apply_action(store, chat, action.name, given)
        assert caught.value.status == 400


@pytest.mark.parametrize("param", [p for a in ACTION_TABLE for p in a.params if p.bounds], ids=lambda p: p.name)
def test_bounds_of_the_table_are_enforced(joined, param):
    store, chat = joined
    action = next(a.name for a in ACTION_TABLE if param in a.params)
    low, high = param.bounds
    apply_action(store, chat, action, {param.name: high})
    for outside in (low - 1, high + 1, True, "5"):
        with pytest.raises(ActionError, match=f"'{param.name}' must be") as caught:
            apply_action(store, chat, action, {param.name: outside})
        assert caught.value.status == 400


def test_defaults_come_from_the_table_or_the_config(joined):
    store, chat = joined
    [alert] = apply_action(store, chat, "idleAlert", {})
    assert alert["userData"]["next-idle-timer-secs"] == "42"  # MockConfig.idle_close_seconds
    assert chat.agents[0].nickname == MockConfig().agent_nickname and chat.agents[0].type == "Agent"
    [notice] = apply_action(store, chat, "customNotice", {})
    assert notice["text"] == "" and notice["from"]["type"] == "External"
    with pytest.raises(ActionError, match="'supervisor' must be true or false"):
        apply_action(store, chat, "join", {"nickname": "Bo", "supervisor": "no"})


def test_a_missing_agent_is_reported_before_bad_parameters():
    store = ChatStore(MockConfig())
    chat = store.create("svc", "Nick")
    with pytest.raises(ActionError, match="send 'join' first") as caught:
        apply_action(store, chat, "file", {"fileName": "a", "content": "***"})
    assert caught.value.status == 409


def test_conflicts_and_bad_parameters_are_reported_in_table_order(joined):
    store, chat = joined
    with pytest.raises(ActionError, match="'Anna' is already in chat") as caught:
        apply_action(store, chat, "join", {"supervisor": "no"})
    assert caught.value.status == 409
    with pytest.raises(ActionError, match="'text' must be a string"):
        apply_action(store, chat, "customNotice", {"text": 1, "nickname": 2})
