"""The CXBus Deferred: the original's own minimal promise, awaitable from Python.

    >>> from cxkit.bus import Deferred
    >>> d = Deferred()
    >>> d.done(lambda *args: print("done", args)).fail(print) is d
    True
    >>> _ = d.resolve(1, 2)
    done (1, 2)
    >>> d.then(print) is None  # late callbacks run at once; then() does not chain
    1 2
    True
    >>> d.state()
    'resolved'

Inside a coroutine, `await d` gives `None`, the one value, or a tuple of values, and
raises `CommandRejected` when the Deferred is rejected.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Generator, Iterable
from typing import Any

__all__ = ["CommandRejected", "Deferred", "Promise"]

logger = logging.getLogger("cxkit.bus")

PENDING = "pending"
RESOLVED = "resolved"
REJECTED = "rejected"

Callback = Callable[..., Any]


class CommandRejected(Exception):
    """Raised by `await deferred` when it was rejected; `.args` holds every reject argument.

        >>> import asyncio
        >>> from cxkit.bus import Deferred
        >>> async def main():
        ...     try:
        ...         await Deferred().reject("no chat", 404)
        ...     except CommandRejected as exc:
        ...         return exc.reason, exc.args
        >>> asyncio.run(main())
        ('no chat', ('no chat', 404))
    """

    @property
    def reason(self) -> Any:
        """The first reject argument (None when rejected with nothing)."""
        return self.args[0] if self.args else None


def _callbacks(fns: Iterable[Any]) -> Generator[Callback, None, None]:
    for fn in fns:
        if isinstance(fn, (list, tuple)):
            yield from _callbacks(fn)
        elif callable(fn):
            yield fn


def _run(fn: Callback, args: tuple[Any, ...]) -> None:
    try:
        fn(*args)
    except Exception:
        logger.exception("Deferred callback %r raised", fn)


def _queued(queue: list[Callback] | None, fns: tuple[Any, ...]) -> list[Callback]:
    """``queue`` (a new list for the first) with ``fns`` added."""
    if queue is None:
        queue = []
    if len(fns) == 1 and type(fns[0]) is not list and callable(fns[0]):
        queue.append(fns[0])  # the common case, one function: no generator over the arguments
    else:
        queue.extend(_callbacks(fns))
    return queue


def _run_all(fns: tuple[Any, ...], args: tuple[Any, ...]) -> None:
    for fn in _callbacks(fns):
        _run(fn, args)


def _as_args(args: Any) -> tuple[Any, ...]:
    if args is None:
        return ()
    if isinstance(args, (list, tuple)):
        return tuple(args)
    return (args,)


class Deferred:
    """A settle-once promise with done/fail/always/progress callbacks (A.6 of the spec).

        >>> d = Deferred()
        >>> d.fail(lambda reason: print("failed:", reason)).state()
        'pending'
        >>> d.reject("timeout").resolve("too late").state()  # settles once
        failed: timeout
        'rejected'
    """

    __slots__ = ("_state", "_args", "_done", "_fail", "_progress", "_watch", "__weakref__")

    def __init__(self) -> None:
        self._state = PENDING
        self._args: tuple[Any, ...] = ()
        self._done: list[Callback] | None = None
        self._fail: list[Callback] | None = None
        self._progress: list[Callback] | None = None
        self._watch: tuple[Callable[[Any, bool, tuple[Any, ...]], Any], Any] | None = None

    # -- consumer side ---------------------------------------------------------------------------

    def done(self, *fns: Callback | list[Callback]) -> Deferred:
        """Call each fn with the resolve arguments (now, if already resolved)."""
        self._done = self._listen(self._done, RESOLVED, fns)
        return self

    def fail(self, *fns: Callback | list[Callback]) -> Deferred:
        """Call each fn with the reject arguments (now, if already rejected)."""
        self._fail = self._listen(self._fail, REJECTED, fns)
        return self

    def _listen(self, queue: list[Callback] | None, outcome: str,
                fns: tuple[Any, ...]) -> list[Callback] | None:
        """`queue` with `fns` added while pending; once settled, run `fns` now if it settled as
        `outcome` (else drop them). Returns the queue to keep."""
        if self._state is PENDING:
            return _queued(queue, fns)
        if self._state is outcome:
            _run_all(fns, self._args)
        return queue

    def always(self, *fns: Callback | list[Callback]) -> Deferred:
        """Call each fn with the settle arguments, whichever way it settles."""
        fns_list = list(_callbacks(fns))
        self.done(fns_list)
        self.fail(fns_list)
        return self

    def progress(self, *fns: Callback | list[Callback]) -> Deferred:
        """Call each fn on every later notify() while pending."""
        if self._state is PENDING:
            if self._progress is None:
                self._progress = []
            self._progress.extend(_callbacks(fns))
        return self

    def then(
        self,
        done: Callback | None = None,
        fail: Callback | None = None,
        progress: Callback | None = None,
    ) -> None:
        """Attach callbacks. Returns None, like the original: `.then(a).then(b)` does not chain."""
        if done is not None:
            self.done(done)
        if fail is not None:
            self.fail(fail)
        if progress is not None:
            self.progress(progress)
        return None

    def pipe(self, done: Callback | None = None, fail: Callback | None = None) -> Deferred:
        """A new Deferred settled by filtering this one's outcome through `done` / `fail`.

        A filter's return value settles the new Deferred the same way (resolved for `done`,
        rejected for `fail`); a returned Deferred is followed instead; a filter that raises
        rejects the new one with the exception's message.
        """
        piped = Deferred()

        def forward(filter_fn: Callback | None, settle: Callback) -> Callback:
            def on_settle(*args: Any) -> None:
                if filter_fn is None:
                    settle(*args)
                    return
                try:
                    result = filter_fn(*args)
                except Exception as exc:
                    logger.exception("Deferred pipe filter %r raised", filter_fn)
                    piped.reject(str(exc) or type(exc).__name__)
                    return
                if isinstance(result, (Deferred, Promise)):
                    result.done(piped.resolve).fail(piped.reject).progress(piped.notify)
                else:
                    settle(result)

            return on_settle

        self.done(forward(done, piped.resolve))
        self.fail(forward(fail, piped.reject))
        self.progress(piped.notify)
        return piped

    def promise(self, target: Any = None) -> Promise:
        """A read-only view: the consumer methods without resolve/reject (`target` is ignored)."""
        return Promise(self)

    def state(self) -> str:
        """"pending", "resolved" or "rejected"."""
        return self._state

    def is_resolved(self) -> bool:
        return self._state is RESOLVED

    def is_rejected(self) -> bool:
        return self._state is REJECTED

    isResolved = is_resolved
    isRejected = is_rejected

    @property
    def args(self) -> tuple[Any, ...]:
        """The arguments it settled with (empty while pending)."""
        return self._args

    def debug(self) -> dict[str, Any]:
        """State and stored arguments, for logging."""
        return {"state": self._state, "args": self._args}

    # -- resolver side ---------------------------------------------------------------------------

    def resolve(self, *args: Any) -> Deferred:
        """Settle as resolved with any number of arguments; later calls are ignored."""
        if self._state is PENDING:
            self._settle(RESOLVED, args, self._done)
        return self

    def reject(self, *args: Any) -> Deferred:
        """Settle as rejected with any number of arguments; later calls are ignored."""
        if self._state is PENDING:
            self._settle(REJECTED, args, self._fail)
        return self

    def notify(self, *args: Any) -> Deferred:
        """Call the progress callbacks while pending."""
        if self._state is PENDING and self._progress:
            for fn in list(self._progress):
                _run(fn, args)
        return self

    # jQuery's *With variants: ``context`` is JS's ``this`` for the callbacks, which Python
    # callbacks do not have; it is accepted and dropped.
    def resolveWith(self, context: Any, args: Any = None) -> Deferred:
        """`resolve` with the arguments as one list (``context`` is ignored)."""
        return self.resolve(*_as_args(args))

    def rejectWith(self, context: Any, args: Any = None) -> Deferred:
        """`reject` with the arguments as one list (``context`` is ignored)."""
        return self.reject(*_as_args(args))

    def notifyWith(self, context: Any, args: Any = None) -> Deferred:
        """`notify` with the arguments as one list (``context`` is ignored)."""
        return self.notify(*_as_args(args))

    resolve_with = resolveWith
    reject_with = rejectWith
    notify_with = notifyWith

    def _settle(self, state: str, args: tuple[Any, ...], callbacks: list[Callback] | None) -> None:
        self._state = state
        self._args = args
        self._done = self._fail = self._progress = None
        if callbacks:
            for fn in callbacks:
                _run(fn, args)
        watch = self._watch
        if watch is not None:
            self._watch = None
            try:
                watch[0](watch[1], state is RESOLVED, args)
            except Exception:
                logger.exception("Deferred watcher %r raised", watch[0])

    def _on_settle(self, fn: Callable[[Any, bool, tuple[Any, ...]], Any], tag: Any) -> None:
        """Call `fn(tag, resolved, args)` once it settles (now, if it has), after its callbacks.

        Internal: the JS bridge reports every command this way, with one bound method and a token
        instead of a done and a fail closure per command (per-call work is what concurrent
        commands cost in the page).
        """
        if self._state is not PENDING:
            fn(tag, self._state is RESOLVED, self._args)
        elif self._watch is None:
            self._watch = (fn, tag)
        else:  # one slot; a second watcher falls back to ordinary callbacks
            self.done(lambda *args: fn(tag, True, args))
            self.fail(lambda *args: fn(tag, False, args))

    def _sole_watch(self, fn: Callable[[Any, bool, tuple[Any, ...]], Any]) -> Any:
        """The tag `fn` watches this with, when nothing else listens to it (else None).

        Internal: the JS bridge tells the page which of its own commands a JS handler's answer
        settles, so the page settles that caller itself (in worker mode, without a trip here).
        """
        watch = self._watch
        if watch is not None and watch[0] == fn and not self._done and not self._fail:
            return watch[1]
        return None

    def _watch_tag(self, fn: Callable[[Any, bool, tuple[Any, ...]], Any]) -> Any:
        """Internal: the tag `fn` watches this with, whoever else listens to it (else None)."""
        watch = self._watch
        return watch[1] if watch is not None and watch[0] == fn else None

    def _unwatch(self) -> None:
        """Internal: forget the watcher (it heard of the outcome another way)."""
        self._watch = None

    # -- Python side -----------------------------------------------------------------------------

    def __await__(self) -> Generator[Any, None, Any]:
        if self._state is PENDING:
            future = asyncio.get_running_loop().create_future()

            def wake(*_: Any) -> None:
                if not future.done():
                    future.set_result(None)

            self.done(wake)
            self.fail(wake)
            yield from future
        if self._state is RESOLVED:
            args = self._args
            if not args:
                return None
            return args[0] if len(args) == 1 else args
        raise CommandRejected(*self._args)

    def __repr__(self) -> str:
        return f"<Deferred {self._state} {self._args!r}>" if self._args else f"<Deferred {self._state}>"


class Promise:
    """The consumer half of a Deferred (what `Deferred.promise()` hands out).

        >>> d = Deferred()
        >>> p = d.promise()
        >>> hasattr(p, "resolve"), p.done(print) is p
        (False, True)
        >>> _ = d.resolve("ok")
        ok
        >>> p.state()
        'resolved'
    """

    __slots__ = ("_deferred",)

    def __init__(self, deferred: Deferred) -> None:
        self._deferred = deferred

    def done(self, *fns: Callback | list[Callback]) -> Promise:
        self._deferred.done(*fns)
        return self

    def fail(self, *fns: Callback | list[Callback]) -> Promise:
        self._deferred.fail(*fns)
        return self

    def always(self, *fns: Callback | list[Callback]) -> Promise:
        self._deferred.always(*fns)
        return self

    def progress(self, *fns: Callback | list[Callback]) -> Promise:
        self._deferred.progress(*fns)
        return self

    def then(
        self,
        done: Callback | None = None,
        fail: Callback | None = None,
        progress: Callback | None = None,
    ) -> None:
        self._deferred.then(done, fail, progress)

    def pipe(self, done: Callback | None = None, fail: Callback | None = None) -> Deferred:
        return self._deferred.pipe(done, fail)

    def promise(self, target: Any = None) -> Promise:
        return self

    def state(self) -> str:
        return self._deferred.state()

    def is_resolved(self) -> bool:
        return self._deferred.is_resolved()

    def is_rejected(self) -> bool:
        return self._deferred.is_rejected()

    isResolved = is_resolved
    isRejected = is_rejected

    @property
    def args(self) -> tuple[Any, ...]:
        return self._deferred.args

    def debug(self) -> dict[str, Any]:
        return self._deferred.debug()

    def __await__(self) -> Generator[Any, None, Any]:
        return self._deferred.__await__()

    def __repr__(self) -> str:
        return f"<Promise of {self._deferred!r}>"
