"""Concurrent reads for connectors: run labelled jobs on a pool, keep order, record or raise failures."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from auditor.connectors.http import ConnectorAuthError
from auditor.errors import ConnectorError

Job = tuple[str, Callable[[], Any]]
"""A labelled zero-argument read, run on the pool."""


def bind(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[], Any]:
    """A zero-argument job (avoids late binding of loop variables in lambdas)."""
    return lambda: fn(*args, **kwargs)


def gather(pool: ThreadPoolExecutor, jobs: list[Job], errors: list[str], core: Iterable[str] = ()) -> list[Any]:
    """Run jobs concurrently; return results in job order (None for a recorded failure).

    A rejected token (ConnectorAuthError), or any failure of a job labelled in ``core``, is raised and the
    remaining jobs are cancelled; other ConnectorErrors are appended to ``errors`` (the fetch is partial).
    """
    core = set(core)
    futures = [(label, pool.submit(fn)) for label, fn in jobs]
    results: list[Any] = []
    try:
        for label, future in futures:
            try:
                results.append(future.result())
            except ConnectorAuthError:
                raise
            except ConnectorError as exc:
                if label in core:
                    raise
                errors.append(str(exc))
                results.append(None)
    except BaseException:
        for _, future in futures:
            future.cancel()
        raise
    return results
