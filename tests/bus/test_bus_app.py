import logging

import pytest

from cxkit.bus import (
    APP_EVENTS,
    Bus,
    QuickBus,
    RegistrationRefused,
    boot_app,
    install_app,
    install_quickbus,
    mark_app_ready,
    publish_app_ready,
)


def test_install_app_takes_master_and_registers_commands(bus):
    app = install_app(bus, {})
    assert app.namespace() == "App" and bus.register_master() is None
    assert bus.registry()["App"]["events"] == APP_EVENTS
    assert {"registerAutoLoad", "deregisterAutoLoad", "updateAJAXHeader", "removeAJAXHeader", "debug"} <= set(
        bus.registry()["App"]["commands"]
    )
    with pytest.raises(RuntimeError):
        install_app(bus, {})


def test_the_modular_bootstraps_load_plugin_widgets_core_resolves_once_app_is_installed(bus):
    """Spec A.1: ``CXBus.configure({pluginsPath}); CXBus.loadPlugin('widgets-core')`` after
    cxbus.min.js; the file that holds App is built in here."""
    assert bus.loadPlugin("widgets-core").args == ("Could not load plugin file: widgets-core",)
    install_app(bus, {})
    first, again = bus.loadPlugin("widgets-core"), bus.loadPlugin("Widgets-Core")
    assert first.is_resolved() and first.args == ()
    assert again.is_rejected() and again.args == ()  # loaded already, as a file loads once
    other = Bus()
    other.configure(loadPlugins=False)
    install_app(other, {})
    assert other.loadPlugin("widgets-core").args == ("Could not load plugin file: widgets-core",)


def test_auto_load_list_in_data(bus):
    install_app(bus, {})
    webchat = bus.register_plugin("WebChat")
    d1 = webchat.command("App.registerAutoLoad")
    d2 = bus.command("App.registerAutoLoad", plugin="Other")
    d3 = webchat.command("App.registerAutoLoad")
    bus.flush()
    assert d3.args == (["WebChat", "Other"],) and bus.data("App.autoLoadList") == ["WebChat", "Other"]
    d4 = webchat.command("App.deregisterAutoLoad")
    bus.flush()
    assert d4.args == (["Other"],) and bus.data("App.autoLoadList") == ["Other"]
    assert d1.is_resolved() and d2.is_resolved()


def test_ajax_headers_accept_only_authorization_and_apikey(bus):
    install_app(bus, {})
    updates = []
    bus.subscribe("App.requestHeaderUpdated", lambda e: updates.append(e.data))
    d = bus.command("App.updateAJAXHeader", header={"Authorization": "Bearer t", "apikey": "k", "X-Other": "no"})
    bus.flush()
    assert d.args == ({"Authorization": "Bearer t", "apikey": "k"},)
    assert bus.data("App.requestHeader") == {"Authorization": "Bearer t", "apikey": "k"}
    d = bus.command("App.removeAJAXHeader", header="apikey")
    bus.flush()
    assert bus.data("App.requestHeader") == {"Authorization": "Bearer t"}
    assert updates[-1] == {"Authorization": "Bearer t"}
    bad = bus.command("App.updateAJAXHeader", header="nope")
    bus.flush()
    assert bad.is_rejected()


def test_debug_command_toggles_bus_debug(bus):
    install_app(bus, {})
    bus.command("App.debug", enabled=True)
    bus.flush()
    assert bus.config["debug"] is True
    bus.command("App.debug", enabled=False)
    bus.flush()
    assert bus.config["debug"] is False


def test_the_app_language_is_main_lang_or_en_and_set_language_changes_it(bus):
    """Spec A.1: the App's first step is ``setLanguage`` (the config's ``main.lang``); A.7 reads it
    as ``data("App.language")``; A.9 lists ``setLanguage({lang})``, which publishes ``App.language``;
    startChat sends it as GCTI_LanguageCode (B.3). Without ``main.lang``: "en" (the original's
    default), not the browser's language."""
    install_app(bus, {})
    assert bus.data("App.language") == "en"
    heard, answers = [], []
    bus.subscribe("App.language", lambda e: heard.append(e.data))
    bus.command("App.setLanguage", {"lang": "fi"}).done(answers.append)
    bus.command("App.setLanguage", {}).fail(answers.append)
    bus.flush()
    assert (bus.data("App.language"), heard, answers) == ("fi", ["fi"], ["fi", "No language provided"])
    other = Bus()
    install_app(other, {"main": {"lang": "de"}, "app": {"debug": False}})
    assert other.data("App.language") == "de"


def test_main_debug_in_config_enables_debug(bus):
    install_app(bus, {"main": {"debug": True}})
    assert bus.config["debug"] is True


def test_global_section_overrides_main(bus):
    install_app(bus, {"main": {"debug": True}, "global": {"debug": False}})
    assert bus.config["debug"] is False


def test_quickbus_is_a_plugin_that_registers_plugins(bus):
    quickbus = install_quickbus(bus)
    assert isinstance(quickbus, QuickBus) and quickbus.namespace() == "QuickBus"
    mine = quickbus.registerPlugin("Mine")
    assert mine.namespace() == "Mine" and quickbus.registerPlugin("Mine") is False
    with pytest.raises(RegistrationRefused, match="'Mine' is already registered"):
        quickbus.register_plugin("Mine")
    assert quickbus.register_plugin("Yours") is bus.get_plugin("Yours")
    assert bus.get_plugin("QuickBus") is quickbus


def test_install_app_and_quickbus_refuse_a_taken_name(bus):
    bus.register_plugin("App")
    bus.register_plugin("QuickBus")
    with pytest.raises(RegistrationRefused, match="'App'"):
        install_app(bus, {})
    with pytest.raises(RegistrationRefused, match="'QuickBus'"):
        install_quickbus(bus)


def test_boot_order_and_sticky_ready(bus):
    config = {"webchat": {"dataURL": "/genesys/2/chat"}}
    order = []
    bus.subscribe("App.ready", lambda e: order.append(("App.ready", e.data)))
    bus.subscribe("App.data.ready:true", lambda e: order.append("App.data.ready"))

    def extensions():
        order.append("extensions")
        assert bus.data("App.ready") is None

    def on_ready(quickbus):
        order.append(("onReady", quickbus.namespace(), bus.data("App.ready")))

    booted = boot_app(bus, config, extensions=extensions, on_ready=on_ready)
    bus.flush()
    assert order == [
        "extensions",
        ("onReady", "QuickBus", True),
        ("App.ready", config),
        "App.data.ready",
    ]
    late = []
    bus.register_plugin("Late").subscribe("App.ready", lambda e: late.append((e.publisher, e.data)))
    bus.flush()
    assert late == [("App", config)]
    assert booted.app.namespace() == "App" and booted.quickbus.namespace() == "QuickBus"


def test_boot_survives_raising_extension_and_on_ready(bus, caplog):
    def broken(*args):
        raise RuntimeError("page code broke")

    with caplog.at_level(logging.ERROR, logger="cxkit.bus"):
        boot_app(bus, {}, extensions=broken, on_ready=broken)
    assert bus.data("App.ready") is True
    assert len([r for r in caplog.records if r.exc_info]) == 2


def test_steps_for_the_glue(bus):
    app = install_app(bus, {})
    install_quickbus(bus)
    got = []
    bus.subscribe("App.ready", lambda e: got.append(e.data))
    assert publish_app_ready(app, {"x": 1}) is True
    mark_app_ready(app)
    bus.flush()
    assert got == [{"x": 1}] and app.data("ready") is True
