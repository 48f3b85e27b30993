import logging

import pytest

from cxkit.bus import Bus


class ManualWake:
    """A wake function that only records: the test decides when the queue drains."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, drain) -> None:
        self.calls += 1


@pytest.fixture
def wake() -> ManualWake:
    return ManualWake()


@pytest.fixture
def bus(wake: ManualWake) -> Bus:
    """A bus that delivers only on bus.flush()."""
    return Bus(wake=wake)


@pytest.fixture
def ready_plugin(bus: Bus):
    """Factory: a registered, ready plugin with the given commands ({short name: handler})."""

    def make(name: str, **commands):
        plugin = bus.register_plugin(name)
        for short, handler in commands.items():
            plugin.register_command(short, handler)
        plugin.ready()
        return plugin

    return make


@pytest.fixture
def bus_errors(caplog):
    caplog.set_level(logging.DEBUG, logger="cxkit.bus")
    return caplog
