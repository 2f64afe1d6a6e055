"""The one process pool: a function applied to consecutive chunks of a list of inputs in worker
processes, with results in input order and a bounded number of chunks in flight."""

from __future__ import annotations

from collections import deque
from typing import Callable, Iterator


def chunks_in_order(function: Callable[[list], list], items: list, jobs: int, max_chunk: int) -> Iterator[list]:
    """``function(chunk)`` for consecutive chunks of ``items``, yielded in input order.

    With ``jobs`` > 1 and more than one item, the chunks (about four per process, at most
    ``max_chunk`` items each) run in that many processes, at most two per process submitted ahead
    of the one being yielded, so memory holds a bounded number of results whatever the length of
    ``items``. ``function`` must be picklable (a module-level function or a ``functools.partial``
    of one)."""
    if jobs <= 1 or len(items) < 2:
        for item in items:
            yield function([item])
        return
    from concurrent.futures import ProcessPoolExecutor

    size = max(1, min(max_chunk, len(items) // (jobs * 4) or 1))
    chunks = (items[i:i + size] for i in range(0, len(items), size))
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_ignore_interrupt)
    try:
        window: deque = deque()
        for chunk in chunks:
            window.append(pool.submit(function, chunk))
            if len(window) >= jobs * 2:
                break
        while window:
            results = window.popleft().result()
            following = next(chunks, None)
            if following is not None:
                window.append(pool.submit(function, following))
            yield results
    except BaseException:
        # Interrupted (Ctrl-C) or abandoned: the chunks not started are cancelled and the workers
        # are not waited for, so the command ends at once with its own message, not a traceback
        # from each worker.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _ignore_interrupt() -> None:
    """In each worker: Ctrl-C is the parent's to handle (it cancels the pool), not each worker's."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
