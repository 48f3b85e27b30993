"""Plugin loading: where the original injects `<pluginsPath>/<name>.min.js`, we call a registered factory.

    >>> from cxkit.bus import Bus
    >>> bus = Bus()
    >>> def make_echo(bus):
    ...     echo = bus.register_plugin("Echo")
    ...     echo.register_command("say", lambda e: e.deferred.resolve(e.data["text"]))
    ...     echo.ready()
    >>> bus.register_plugin_factory("Echo", make_echo)
    >>> bus.command("Echo.say", text="hi").done(print).state()  # loads Echo on first use
    hi
    'resolved'
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from .deferred import Deferred, Promise
from .messages import plugin_file_failed

if TYPE_CHECKING:
    from .bus import Bus

__all__ = ["PluginLoader", "PluginFactory"]

logger = logging.getLogger("cxkit.bus")

PluginFactory = Callable[["Bus"], "Awaitable[Any] | Deferred | None"]


class PluginLoader:
    """Factories by (case-insensitive) plugin name, and the loads in flight."""

    def __init__(self, bus: Bus) -> None:
        self._bus = bus
        self._factories: dict[str, PluginFactory] = {}
        self._loading: dict[str, Deferred] = {}
        self._tasks: set[asyncio.Task] = set()

    def register(self, name: str, factory: PluginFactory) -> None:
        self._factories[name.lower()] = factory

    def load(self, name: str) -> Deferred:
        """Run the factory for `name` once; resolves when it has finished (A.5 `loadPlugin`)."""
        deferred = Deferred()
        key = name.lower() if isinstance(name, str) else name
        if not isinstance(name, str) or any(p.lower() == key for p in self._bus._plugins):
            return deferred.reject()
        in_flight = self._loading.get(key)
        if in_flight is not None:
            in_flight.done(deferred.resolve).fail(deferred.reject)
            return deferred
        config = self._bus.config
        factory = self._factories.get(key)
        if (
            factory is None
            or not config.get("loadPlugins", True)
            or (config.get("pluginMap") or {}).get(name, None) is False
        ):
            return deferred.reject(plugin_file_failed(name))
        self._bus._log("loading plugin %s", name)
        self._loading[key] = deferred
        deferred.always(lambda *_: self._loading.pop(key, None))
        try:
            result = factory(self._bus)
        except Exception:
            logger.exception("Plugin factory for %s raised", name)
            return deferred.reject(plugin_file_failed(name))
        if isinstance(result, (Deferred, Promise)):
            result.done(lambda *_: deferred.resolve()).fail(lambda *_: deferred.reject(plugin_file_failed(name)))
        elif result is not None and inspect.isawaitable(result):
            self._await(result, name, deferred)
        else:
            deferred.resolve()
        return deferred

    def _await(self, awaitable: Awaitable[Any], name: str, deferred: Deferred) -> None:
        async def finish() -> None:
            try:
                await awaitable
            except Exception:
                logger.exception("Plugin factory for %s raised", name)
                deferred.reject(plugin_file_failed(name))
            except asyncio.CancelledError:
                deferred.reject(plugin_file_failed(name))
                raise
            else:
                deferred.resolve()

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            if inspect.iscoroutine(awaitable):
                awaitable.close()
            logger.error("Plugin factory for %s is async but no event loop is running", name)
            deferred.reject(plugin_file_failed(name))
            return
        task = loop.create_task(finish())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
