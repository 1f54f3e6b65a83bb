"""Merging queued requests into one pipeline call (PREVIS_BATCHING, off by default).

While the model is busy, requests wait for it. Whoever gets it next takes every waiting request that is
compatible with its own (equal merge key) and runs them as one call; the others find their results ready when
they get the model in turn. No timer and no worker thread: a request that finds the model idle runs at once,
alone, so merging only ever happens under load, where one bigger batch keeps the accelerator busier.

Off by default because the batch a request lands in can change float results: a merged frame's pixels may
differ slightly from the same request run alone (the frame record says it was merged).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass(eq=False)  # tickets are told apart by identity: two equal requests are still two tickets
class _Ticket(Generic[Item, Result]):
    item: Item
    done: bool = False  # written and read under the model lock
    result: Result | None = None
    error: BaseException | None = None


class MergingQueue(Generic[Item, Result]):
    """Runs items through ``run`` under ``model_lock``, several compatible waiting items per call."""

    def __init__(self, model_lock: threading.RLock, run: Callable[[list[Item]], list[Result]], *,
                 key: Callable[[Item], Hashable], size: Callable[[Item], int], max_size: int):
        self._model_lock = model_lock
        self._run = run
        self._key, self._size, self._max_size = key, size, max_size
        self._waiting: list[_Ticket[Item, Result]] = []
        self._waiting_lock = threading.Lock()

    @property
    def waiting(self) -> int:
        """How many items wait for the model (tests use it to line requests up)."""
        with self._waiting_lock:
            return len(self._waiting)

    def submit(self, item: Item) -> Result:
        """Run ``item``, possibly together with others; returns its own result or raises the batch's error."""
        ticket: _Ticket[Item, Result] = _Ticket(item)
        with self._waiting_lock:
            self._waiting.append(ticket)
        with self._model_lock:
            if not ticket.done:
                self._run_batch(self._take(ticket))
        if ticket.error is not None:
            raise ticket.error
        return ticket.result  # type: ignore[return-value]

    def _take(self, first: _Ticket[Item, Result]) -> list[_Ticket[Item, Result]]:
        """``first`` and the compatible tickets waiting behind it, in arrival order, up to ``max_size``."""
        key, total = self._key(first.item), self._size(first.item)
        batch = [first]
        with self._waiting_lock:
            for ticket in self._waiting:
                if ticket is not first and self._key(ticket.item) == key:
                    if total + self._size(ticket.item) > self._max_size:
                        break
                    batch.append(ticket)
                    total += self._size(ticket.item)
            self._waiting = [ticket for ticket in self._waiting if ticket not in batch]
        return batch

    def _run_batch(self, batch: list[_Ticket[Item, Result]]) -> None:
        try:
            results = self._run([ticket.item for ticket in batch])
        except BaseException as error:
            for ticket in batch:
                ticket.error, ticket.done = error, True
            return
        for ticket, result in zip(batch, results, strict=True):
            ticket.result, ticket.done = result, True
