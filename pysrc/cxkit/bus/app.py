"""The App plugin (A.9, the parts that make sense without a UI) and the QuickBus (A.1).

    >>> from cxkit.bus import Bus, boot_app
    >>> bus = Bus()
    >>> order = []
    >>> booted = boot_app(bus, {"main": {"debug": False}},
    ...                   extensions=lambda: order.append("extensions"),
    ...                   on_ready=lambda quickbus: order.append("onReady " + quickbus.namespace()))
    >>> order, bus.data("App.ready")
    (['extensions', 'onReady QuickBus'], True)
    >>> bus.subscribe("App.ready", lambda e: print("late subscriber got", e.data))  # sticky
    late subscriber got {'main': {'debug': False}}
    'App.ready'

The browser glue runs the same steps itself when it must interleave JS: `install_app`,
`install_quickbus`, JS extensions, `publish_app_ready`, `mark_app_ready`, JS `onReady(QuickBus)`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from .events import CommandEvent
from .plugin import Plugin

if TYPE_CHECKING:
    from .bus import Bus, Master

__all__ = [
    "APP_EVENTS",
    "AJAX_HEADER_NAMES",
    "DEFAULT_LANGUAGE",
    "BootedApp",
    "QuickBus",
    "boot_app",
    "install_app",
    "install_quickbus",
    "mark_app_ready",
    "publish_app_ready",
]

logger = logging.getLogger("cxkit.bus")

#: The original's plugin file that holds the App core (`plugins/widgets-core.min.js`).
CORE_PLUGIN_FILE = "widgets-core"
APP_EVENTS = ["ready", "closeAll", "theme", "i18n", "mobileMode", "timeFormat", "requestHeaderUpdated"]
AJAX_HEADER_NAMES = ("Authorization", "apikey")
#: The App language without a ``main.lang`` (the original's default; what startChat sends as GCTI_LanguageCode).
DEFAULT_LANGUAGE = "en"


class QuickBus(Plugin):
    """The plugin `_genesys.widgets.bus` is: a plugin named "QuickBus" that can also register plugins.

        >>> from cxkit.bus import Bus, install_quickbus
        >>> quickbus = install_quickbus(Bus())
        >>> quickbus.register_plugin("Extra"), quickbus.registerPlugin("Extra")  # taken: False, as in JS
        (<Plugin Extra (not ready)>, False)
    """

    __slots__ = ()

    def register_plugin(self, name: str) -> Plugin:
        """Register a plugin on the bus; raises `RegistrationRefused` as `Bus.register_plugin` does."""
        return self._bus.register_plugin(name)

    def registerPlugin(self, name: Any) -> Plugin | bool:
        """The original's `registerPlugin`: the plugin interface, or False when refused."""
        return self._bus.registerPlugin(name)


class BootedApp(NamedTuple):
    """What `boot_app` returns: the "App" plugin and the QuickBus.

        >>> from cxkit.bus import Bus, boot_app
        >>> app, quickbus = boot_app(Bus(), {})
        >>> app.name, quickbus.name, app.data("ready")
        ('App', 'QuickBus', True)
    """

    app: Plugin
    quickbus: QuickBus


class _AppCommands:
    """Handlers of the App commands; the master registration lets `debug` reconfigure the bus."""

    def __init__(self, app: Plugin, master: Master | None) -> None:
        self.app = app
        self.master = master

    def register_auto_load(self, e: CommandEvent) -> None:
        names = list(self.app.data("autoLoadList") or [])
        name = _plugin_name(e)
        if name not in names:
            names.append(name)
            self.app.data("autoLoadList", names)
        e.deferred.resolve(names)

    def deregister_auto_load(self, e: CommandEvent) -> None:
        name = _plugin_name(e)
        names = [n for n in (self.app.data("autoLoadList") or []) if n != name]
        self.app.data("autoLoadList", names)
        e.deferred.resolve(names)

    def update_ajax_header(self, e: CommandEvent) -> None:
        header = e.data.get("header")
        if not isinstance(header, Mapping):
            e.deferred.reject("No header provided")
            return
        headers = dict(self.app.data("requestHeader") or {})
        headers.update((k, v) for k, v in header.items() if k in AJAX_HEADER_NAMES)
        self.app.data("requestHeader", headers)
        self.app.publish("requestHeaderUpdated", headers)
        e.deferred.resolve(headers)

    def remove_ajax_header(self, e: CommandEvent) -> None:
        names = e.data.get("header", AJAX_HEADER_NAMES)
        names = [names] if isinstance(names, str) else list(names)
        headers = {k: v for k, v in (self.app.data("requestHeader") or {}).items() if k not in names}
        self.app.data("requestHeader", headers)
        self.app.publish("requestHeaderUpdated", headers)
        e.deferred.resolve(headers)

    def set_language(self, e: CommandEvent) -> None:
        """``setLanguage({lang})``: ``App.data('language')`` and the ``App.language`` event."""
        lang = e.data.get("lang")
        if not isinstance(lang, str) or not lang:
            e.deferred.reject("No language provided")
            return
        self.app.data("language", lang)
        self.app.publish("language", lang)
        e.deferred.resolve(lang)

    def debug(self, e: CommandEvent) -> None:
        enabled = bool(e.data.get("enabled", True))
        if self.master is not None:
            self.master.config(debug=enabled)
        else:
            self.app.bus.configure(debug=enabled)
        e.deferred.resolve(enabled)


def _plugin_name(e: CommandEvent) -> str:
    return e.data.get("plugin") or e.data.get("name") or e.commander


def install_app(bus: Bus, config: Mapping[str, Any]) -> Plugin:
    """Register the "App" plugin with its headless commands, taking the master registration;
    ``load_plugin("widgets-core")`` (the file that holds App in the original) then resolves.

    `debug` in the config's main/app/global sections turns on bus debug logging, and `lang` is
    the App language (``App.data('language')``, `DEFAULT_LANGUAGE` without it), as the original's
    first step, ``setLanguage``. Raises `RegistrationRefused` (a RuntimeError) if "App" is taken.

        >>> from cxkit.bus import Bus, install_app
        >>> bus = Bus()
        >>> app = install_app(bus, {"main": {"lang": "de"}})
        >>> app.data("language"), bus.load_plugin("widgets-core").state()
        ('de', 'resolved')
    """
    master = bus.register_master()
    app = bus.register_plugin("App")
    main: dict[str, Any] = {}
    for section in ("main", "app", "global"):  # later sections override earlier ones (A.1)
        value = config.get(section) if isinstance(config, Mapping) else None
        if isinstance(value, Mapping):
            main.update(value)
    if main.get("debug"):
        (master.config if master is not None else bus.configure)(debug=True)
    commands = _AppCommands(app, master)
    app.register_events(APP_EVENTS)
    app.register_command("registerAutoLoad", commands.register_auto_load)
    app.register_command("deregisterAutoLoad", commands.deregister_auto_load)
    app.register_command("updateAJAXHeader", commands.update_ajax_header)
    app.register_command("removeAJAXHeader", commands.remove_ajax_header)
    app.register_command("debug", commands.debug)
    app.register_command("setLanguage", commands.set_language)
    lang = main.get("lang")
    app.data("language", lang if isinstance(lang, str) and lang else DEFAULT_LANGUAGE)
    app.ready()
    # The modular bootstrap (`CXBus.loadPlugin('widgets-core')` after `cxbus.min.js`, spec A.1)
    # loads the file that holds App: here it is built in, so loading it resolves.
    bus.register_plugin_factory(CORE_PLUGIN_FILE, lambda bus: None)
    return app


def install_quickbus(bus: Bus) -> QuickBus:
    """Register the "QuickBus" plugin (`_genesys.widgets.bus`). Raises `RegistrationRefused`
    (a RuntimeError) if taken.

        >>> from cxkit.bus import Bus, install_quickbus
        >>> bus = Bus()
        >>> quickbus = install_quickbus(bus)
        >>> bus.get_plugin("QuickBus") is quickbus, quickbus.is_ready
        (True, True)
    """
    quickbus = bus._register("QuickBus", QuickBus)
    quickbus.ready()
    return quickbus


def publish_app_ready(app: Plugin, config: Any) -> bool:
    """Republish the sticky `App.ready` with the widgets config as data.

        >>> from cxkit.bus import Bus, install_app, publish_app_ready
        >>> bus = Bus()
        >>> publish_app_ready(install_app(bus, {}), {"main": {}})
        True
        >>> bus.subscribe("App.ready", lambda e: print("late subscriber got", e.data))
        late subscriber got {'main': {}}
        'App.ready'
    """
    return app.republish("ready", config)


def mark_app_ready(app: Plugin) -> None:
    """`App.data('ready', true)`, which follows App.ready.

        >>> from cxkit.bus import Bus, install_app, mark_app_ready
        >>> app = install_app(Bus(), {})
        >>> app.data("ready"), mark_app_ready(app), app.data("ready")
        (None, None, True)
    """
    app.data("ready", True)


def boot_app(
    bus: Bus,
    config: Mapping[str, Any],
    *,
    extensions: Callable[[], Any] | None = None,
    on_ready: Callable[[QuickBus], Any] | None = None,
) -> BootedApp:
    """The App's init order: extensions -> App.ready (sticky) -> App.data('ready', True) -> onReady(QuickBus).

    An extension or onReady that raises is logged and boot carries on.

        >>> from cxkit.bus import Bus, boot_app
        >>> booted = boot_app(Bus(), {"main": {"lang": "fr"}}, on_ready=lambda qb: print("onReady:", qb.name))
        onReady: QuickBus
        >>> booted.app.data("language")
        'fr'
    """
    app = install_app(bus, config)
    quickbus = install_quickbus(bus)
    if extensions is not None:
        _guarded("extensions", extensions)
    publish_app_ready(app, config)
    mark_app_ready(app)
    if on_ready is not None:
        _guarded("onReady", on_ready, quickbus)
    return BootedApp(app, quickbus)


def _guarded(what: str, fn: Callable[..., Any], *args: Any) -> None:
    try:
        fn(*args)
    except Exception:
        logger.exception("%s raised", what)
