"""Concurrent reads for connectors: run labelled jobs on a pool, keep order, record or raise failures."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from auditor.connectors.http import ConnectorAuthError
from auditor.errors import ConnectorError

Job = tuple[str, Callable[[], Any]]
"""A labelled zero-argument read, run on the pool."""


def bind(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[], Any]:
    """A zero-argument job (avoids late binding of loop variables in lambdas)."""
    return lambda: fn(*args, **kwargs)


class Outcome(Protocol):
    """A started job: a ``concurrent.futures.Future`` or anything that waits and cancels like one."""

    def result(self) -> Any:
        """Wait for the job; its value, or raise its exception."""
        ...

    def cancel(self) -> bool:
        """Cancel the job if it has not started yet."""
        ...


def gather(pool: ThreadPoolExecutor, jobs: list[Job], errors: list[str], core: Iterable[str] = ()) -> list[Any]:
    """Run jobs concurrently; return results in job order (None for a recorded failure).

    A rejected token (ConnectorAuthError), or any failure of a job labelled in ``core``, is raised and the
    remaining jobs are cancelled; other ConnectorErrors are appended to ``errors`` (the fetch is partial).
    """
    return collect([(label, pool.submit(fn)) for label, fn in jobs], errors, core)


def collect(started: Sequence[tuple[str, Outcome]], errors: list[str], core: Iterable[str] = ()) -> list[Any]:
    """``gather`` for jobs already started (submitted ahead of the step that needs them): results in order,
    failures recorded or raised as ``gather`` does; a raise cancels every job of ``started`` not yet running."""
    core = set(core)
    results: list[Any] = []
    try:
        for label, future in started:
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
        for _, future in started:
            future.cancel()
        raise
    return results
