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
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic, Protocol, TypeVar

from ..common.tasks import spawn
from .deferred import Deferred, Promise
from .messages import plugin_file_failed

__all__ = ["LoaderHost", "PluginLoader"]

logger = logging.getLogger("cxkit.bus")


class LoaderHost(Protocol):
    """What the loader asks of the bus (`cxkit.bus.Bus`): its options, the registered names, its log."""

    @property
    def config(self) -> Mapping[str, Any]: ...
    @property
    def _plugins(self) -> Mapping[str, Any]: ...
    def _log(self, message: str, *args: Any) -> None: ...


H = TypeVar("H", bound=LoaderHost)


class PluginLoader(Generic[H]):
    """Factories by (case-insensitive) plugin name, and the loads in flight. A factory is called
    with the host bus (``factory(bus)``)."""

    def __init__(self, bus: H) -> None:
        self._bus = bus
        self._factories: dict[str, Callable[[H], Awaitable[Any] | Deferred | None]] = {}
        self._loading: dict[str, Deferred] = {}
        self._loaded: set[str] = set()  # names whose factory ran to the end: as a file loaded once
        self._tasks: set[asyncio.Task[Any]] = set()

    def register(self, name: str, factory: Callable[[H], Awaitable[Any] | Deferred | None]) -> None:
        self._factories[name.lower()] = factory

    def load(self, name: str) -> Deferred:
        """Run the factory for `name` once; resolves when it has finished (A.5 `loadPlugin`).
        Rejects with no reason when a plugin of that name (any case) is registered, or when the
        name was loaded before."""
        deferred = Deferred()
        key = name.lower() if isinstance(name, str) else name
        if not isinstance(name, str) or key in self._loaded or any(p.lower() == key for p in self._bus._plugins):
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
        deferred.always(lambda *_: self._loading.pop(key, None)).done(lambda *_: self._loaded.add(key))
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
            spawn(finish(), what=f"plugin factory for {name}", logger=logger, into=self._tasks)
        except RuntimeError:
            if inspect.iscoroutine(awaitable):
                awaitable.close()
            logger.error("Plugin factory for %s is async but no event loop is running", name)
            deferred.reject(plugin_file_failed(name))
