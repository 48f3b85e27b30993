import pytest

import cxkit.bus
from cxkit import bus as cxbus
from cxkit.bus import Bus


@pytest.fixture(autouse=True)
def fresh_default_bus():
    cxbus.set_bus(None)
    yield
    cxbus.set_bus(None)


def test_get_bus_is_lazy_and_stable():
    first = cxbus.get_bus()
    assert isinstance(first, Bus) and cxbus.get_bus() is first


def test_module_functions_forward_to_default_bus():
    plugin = cxbus.register_plugin("X")
    assert plugin is not False and cxbus.get_bus().get_plugin("X") is plugin
    plugin.register_command("twice", lambda e: e.deferred.resolve(e.data["n"] * 2))
    plugin.ready()
    assert cxbus.command("X.twice", n=2).args == (4,)
    assert cxbus.command("X.twice", {"n": 3}).args == (6,)
    got = []
    assert cxbus.subscribe("X.evt", got.append) == "X.evt"

    @cxbus.on("X.evt")
    def also(e):
        got.append(e)

    plugin.publish("evt")
    assert len(got) == 2
    assert cxbus.data("k", 1) == 1 and cxbus.data("k") == 1
    assert cxbus.configure(debug=False)["debug"] is False
    assert cxbus.load_plugin("Nope").args == ("Could not load plugin file: Nope",)


def test_set_bus_installs_the_pages_bus():
    page_bus = Bus(wake=lambda drain: None)
    cxbus.set_bus(page_bus)
    assert cxbus.get_bus() is page_bus
    assert cxbus.register_plugin("Y") is page_bus.get_plugin("Y")


def test_public_api_is_declared():
    for name in cxkit.bus.__all__:
        assert hasattr(cxkit.bus, name), name
    for name in ("Bus", "Deferred", "CommandRejected", "Plugin", "BusEvent", "CommandEvent", "install_app"):
        assert name in cxkit.bus.__all__
