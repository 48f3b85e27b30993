"""The JS face's names (cxkit.bus.face) name real members of the Python bus the face forwards to.
That the page's objects have exactly these keys is checked in the browser (e2e/test_bus_face.py)."""

import doctest

import pytest

from cxkit.bus import Bus, Plugin, QuickBus, face


def test_module_docstring_example_runs():
    result = doctest.testmod(face)
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.parametrize(("names", "cls"), [
    (face.CXBUS_MEMBERS, Bus),
    (face.PLUGIN_MEMBERS, Plugin),
    (face.QUICKBUS_MEMBERS, QuickBus),
], ids=["CXBus", "plugin", "QuickBus"])
def test_every_forwarded_member_has_a_python_attribute_of_that_name(names, cls):
    missing = [n for n in names if n not in face.JS_ONLY_MEMBERS and not callable(getattr(cls, n, None))]
    assert not missing, f"{cls.__name__} has no {missing}: the JS face would forward to nothing"


def test_js_only_members_have_no_python_counterpart():
    assert all(not hasattr(Bus, name) for name in face.JS_ONLY_MEMBERS)
    assert set(face.JS_ONLY_MEMBERS) <= set(face.CXBUS_MEMBERS)


def test_names_are_unique():
    for names in (face.CXBUS_MEMBERS, face.PLUGIN_MEMBERS, face.QUICKBUS_MEMBERS):
        assert len(set(names)) == len(names)


def test_a_registered_plugin_answers_the_automatic_commands(bus):
    bus.register_plugin("Auto").ready()
    assert set(face.AUTOMATIC_COMMANDS) <= set(bus.registry()["Auto"]["commands"])
    settled = [bus.command(f"Auto.{name}") for name in face.AUTOMATIC_COMMANDS]
    bus.flush()
    assert [d.state() for d in settled] == ["resolved"] * 3
