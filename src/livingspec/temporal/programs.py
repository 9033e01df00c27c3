"""Small asyncio programs with temporal bugs, written for the recorder and the controlled loop.

The seed's shopping cart (day 13) in three versions, and one program per common temporal issue.
Each is ``async def program(recorder) -> result``; delays are asyncio.sleep in simulated time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from livingspec.temporal.errors import CartOpError
from livingspec.temporal.recorder import Recorder, TracedLock
from livingspec.temporal.scheduler import Program, Run

CART_VARIANTS = ("racy", "locked", "ordered")

#: The seed's delays, read off its output: remove completes 43 ms after it started, product1 66 ms
#: and product2 87 ms after theirs.
SEED_DELAYS: Mapping[str, float] = {"add product1": 0.066, "add product2": 0.087, "remove product1": 0.043}


@dataclass(frozen=True)
class CartOp:
    """One user action on the cart and how long its asynchronous part takes (seconds)."""

    action: str  # "add" or "remove"
    product: str
    delay: float

    @classmethod
    def described(cls, action: str, product: str, delay: float) -> CartOp:
        """An operation a scenario describes: ``add`` or ``remove`` a product, taking ``delay`` seconds."""
        if action not in ("add", "remove"):
            raise CartOpError(f"a cart operation is add or remove, got {action!r}")
        if not product.strip() or any(c in product for c in ", "):
            raise CartOpError(f"a product is one word without commas, got {product!r}")
        if not 0 <= delay <= 3600:
            raise CartOpError(f"a cart operation takes 0 to 3600 s, got {delay} s")
        return cls(action, product, delay)

    @property
    def label(self) -> str:
        return f"{self.action} {self.product}"

    @property
    def task(self) -> str:
        return f"{self.action}-{self.product}"


def seed_ops(delays: Mapping[str, float] = SEED_DELAYS) -> list[CartOp]:
    """add product1, add product2, remove product1, with the given delays."""
    ops = []
    for label in ("add product1", "add product2", "remove product1"):
        action, product = label.split()
        ops.append(CartOp(action, product, delays.get(label, SEED_DELAYS[label])))
    return ops


class Cart:
    """The seed's cart: each call logs its start at once and finishes after its delay (setTimeout).

    ``racy`` is the seed; ``locked`` holds a lock while it changes the items (no data race, but the
    removal can still run before the addition it was meant to undo); ``ordered`` applies the
    operations one after another in the order they were called, through a per-cart queue.
    """

    def __init__(self, recorder: Recorder, variant: str = "racy", user: int = 123) -> None:
        if variant not in CART_VARIANTS:
            raise ValueError(f"cart variant must be one of {', '.join(CART_VARIANTS)}, got {variant!r}")
        self.recorder, self.variant, self.user = recorder, variant, user
        self.items: list[str] = []
        recorder.track("cart", self.items)
        self.lock: TracedLock | None = recorder.lock("cart-lock") if variant == "locked" else None
        self.pending: list[asyncio.Task[Any]] = []
        if variant == "ordered":
            self.queue = recorder.queue("cart-queue")
            self.pending.append(asyncio.get_running_loop().create_task(self._worker(), name="cart-worker"))

    def call(self, op: CartOp) -> None:
        """The user's call: log the start, then finish asynchronously."""
        start = "ADD_TO_CART_START" if op.action == "add" else "REMOVE_FROM_CART_START"
        self.recorder.log(start, userId=self.user, productId=op.product)
        if self.variant == "ordered":
            self.queue.put_nowait(op)
        else:
            task = asyncio.get_running_loop().create_task(self._later(op), name=op.task)
            self.pending.append(task)

    async def _later(self, op: CartOp) -> None:
        await asyncio.sleep(op.delay)  # the seed's setTimeout(..., Math.random() * 100)
        if self.lock is None:
            self._apply(op)
        else:
            async with self.lock:
                self._apply(op)

    async def _worker(self) -> None:
        while True:
            op: CartOp | None = await self.queue.get()
            if op is None:
                return
            await asyncio.sleep(op.delay)
            self._apply(op)

    def _apply(self, op: CartOp) -> None:
        if op.action == "add":
            self.recorder.log("ADD_TO_CART_DB_WRITE", productId=op.product)
            self.items.append(op.product)
            self.recorder.write("cart", "ADD_TO_CART_COMPLETE", productId=op.product, cartSize=len(self.items))
        else:
            found = op.product in self.items
            if found:
                self.items.remove(op.product)
            # The seed logs only when the product was found; we always log, saying whether it was.
            emit = self.recorder.write if found else self.recorder.read
            emit("cart", "REMOVE_FROM_CART_COMPLETE", productId=op.product, cartSize=len(self.items), removed=found)

    async def settle(self) -> list[str]:
        """Wait for every pending operation; the final items."""
        if self.variant == "ordered":
            self.queue.put_nowait(None)
        await self.recorder.join(*self.pending)
        self.recorder.read("cart", "CART_FINAL", items=list(self.items))
        return list(self.items)


def cart_program(variant: str = "racy", ops: Sequence[CartOp] | None = None) -> Program:
    """The seed's usage: add product1, add product2, remove product1, then wait; returns the items."""
    chosen = list(ops) if ops is not None else seed_ops()

    async def program(recorder: Recorder) -> list[str]:
        cart = Cart(recorder, variant)
        for op in chosen:
            cart.call(op)
        return await cart.settle()

    return program


def expected_items(ops: Sequence[CartOp]) -> list[str]:
    """What the cart should hold: the operations applied in the order the user made them."""
    items: list[str] = []
    for op in ops:
        if op.action == "add":
            items.append(op.product)
        elif op.product in items:
            items.remove(op.product)
    return items


def lost_update(ops: Sequence[CartOp]) -> Any:
    """A check: the run's final cart differs from the user's intent (as multisets)."""
    want = sorted(expected_items(ops))

    def check(run: Run) -> str | None:
        if run.error is not None:
            return f"{type(run.error).__name__}: {run.error}"
        got = sorted(run.result)
        return (
            None
            if got == want
            else f"cart holds {', '.join(got) or 'nothing'}; the user's actions leave {', '.join(want) or 'nothing'}"
        )

    return check


# ---- common temporal issues --------------------------------------------------------------------
def lost_update_program(writers: int = 2, locked: bool = False) -> Program:
    """State corruption: each writer reads the stored cart, awaits, and saves its copy plus one item."""

    async def program(recorder: Recorder) -> list[str]:
        store: list[str] = []
        recorder.track("stored cart", store)
        lock = recorder.lock("store-lock") if locked else None

        async def add(item: str) -> None:
            if lock is not None:
                await lock.acquire()
            copy = list(store)
            recorder.read("stored cart", "LOAD", items=list(copy))
            await asyncio.sleep(0)  # the database round trip
            store[:] = [*copy, item]
            recorder.write("stored cart", "SAVE", items=list(store))
            if lock is not None:
                lock.release()

        loop = asyncio.get_running_loop()
        tasks = [loop.create_task(add(f"item{i + 1}"), name=f"writer{i + 1}") for i in range(writers)]
        await recorder.join(*tasks)
        return list(store)

    return program


def early_publish_program(fill_delay: float = 0.010, read_delay: float = 0.050) -> Program:
    """A timing-dependent bug: the cache is marked ready before its data is filled in."""

    async def program(recorder: Recorder) -> str:
        cache: dict[str, Any] = {"ready": False, "data": None}
        recorder.track("cache", cache)

        async def warm() -> None:
            cache["ready"] = True  # published too early
            recorder.write("cache", "MARK_READY")
            await asyncio.sleep(fill_delay)
            cache["data"] = "prices"
            recorder.write("cache", "FILL")

        async def read() -> str:
            await asyncio.sleep(read_delay)
            seen = cache["data"] if cache["ready"] else "(not ready)"
            recorder.read("cache", "READ", ready=cache["ready"], data=cache["data"])
            return "ready but empty" if cache["ready"] and cache["data"] is None else str(seen)

        loop = asyncio.get_running_loop()
        warmer = loop.create_task(warm(), name="warmer")
        reader = loop.create_task(read(), name="reader")
        results = await recorder.join(warmer, reader)
        return str(results[1])

    return program


def leak_program(requests: int = 20, interval: float = 0.1, unsubscribe: bool = False) -> Program:
    """A slow leak: every request subscribes a listener and (unless fixed) never unsubscribes."""

    async def program(recorder: Recorder) -> int:
        listeners: list[str] = []
        recorder.track("listeners", listeners)
        for i in range(requests):
            await asyncio.sleep(interval)
            listeners.append(f"request{i + 1}")
            recorder.write("listeners", "SUBSCRIBE", request=i + 1)
            if unsubscribe:
                listeners.remove(f"request{i + 1}")
                recorder.write("listeners", "UNSUBSCRIBE", request=i + 1)
        return len(listeners)

    return program


def degradation_program(
    requests: int = 20, keep: int | None = None, base: float = 0.010, per_entry: float = 0.001
) -> Program:
    """Performance degradation: each request scans a history that grows (or keeps the last ``keep`` entries)."""

    async def program(recorder: Recorder) -> list[float]:
        history: list[int] = []
        recorder.track("history", history)
        latencies: list[float] = []
        loop = asyncio.get_running_loop()
        for i in range(requests):
            started = loop.time()
            await asyncio.sleep(base + per_entry * len(history))  # the scan costs time per entry
            history.append(i)
            if keep is not None:
                del history[:-keep]
            recorder.write(
                "history", "REQUEST_DONE", request=i + 1, latency_ms=round((loop.time() - started) * 1000, 3)
            )
            latencies.append(loop.time() - started)
        return latencies

    return program


def counter_program(tasks: int, increments: int, locked: bool = False) -> Program:
    """Tasks that each increment a shared counter a few times, yielding between increments."""

    async def program(recorder: Recorder) -> int:
        box = {"n": 0}
        lock = recorder.lock("counter-lock") if locked else None

        async def work() -> None:
            for k in range(increments):
                if k:
                    await asyncio.sleep(0)
                if lock is not None:
                    await lock.acquire()
                value = box["n"]
                recorder.read("counter", "READ")
                box["n"] = value + 1
                recorder.write("counter", "WRITE")
                if lock is not None:
                    lock.release()

        loop = asyncio.get_running_loop()
        spawned = [loop.create_task(work(), name=f"t{i + 1}") for i in range(tasks)]
        await recorder.join(*spawned)
        return box["n"]

    return program


def step_program(steps: Sequence[int], shared: bool = True) -> Program:
    """Tasks with the given numbers of steps; each step writes one object (shared or its own)."""

    async def program(recorder: Recorder) -> None:
        async def work(name: str, count: int) -> None:
            for k in range(count):
                if k:
                    await asyncio.sleep(0)
                recorder.write("x" if shared else f"x-{name}", "STEP", k=k)

        loop = asyncio.get_running_loop()
        spawned = [loop.create_task(work(f"t{i + 1}", n), name=f"t{i + 1}") for i, n in enumerate(steps)]
        await recorder.join(*spawned)

    return program


def threaded_counter(recorder: Recorder, threads: int, increments: int, locked: bool) -> int:
    """Real threads incrementing a shared counter, with or without a traced lock; returns the count."""
    box = {"n": 0}
    lock = recorder.thread_lock("counter-lock") if locked else None

    def work() -> None:
        for _ in range(increments):
            if lock is not None:
                with lock:
                    _increment()
            else:
                _increment()

    def _increment() -> None:
        value = box["n"]
        recorder.read("counter", "READ")
        box["n"] = value + 1
        recorder.write("counter", "WRITE")

    workers = [recorder.thread(work, f"thread{i + 1}") for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    recorder.read("counter", "FINAL", value=box["n"])
    return box["n"]


#: How the fan-out program's main task waits for its workers.
JOINS = ("one by one", "with gather", "in a task group", "by sleeping")


def fan_out_program(workers: int = 2, join: str = "with gather", pause: float = 0.01) -> Program:
    """Workers each write their own slot; main then reads every slot, having awaited them as ``join`` says.

    ``one by one`` awaits each task, ``with gather`` uses asyncio.gather, ``in a task group`` an
    asyncio.TaskGroup; ``by sleeping`` only waits ``pause`` seconds, which orders nothing.
    """
    if join not in JOINS:
        raise ValueError(f"join must be one of {', '.join(JOINS)}, got {join!r}")

    async def program(recorder: Recorder) -> list[int]:
        slots = [0] * workers

        async def work(i: int) -> None:
            await asyncio.sleep(0)
            slots[i] = i + 1
            recorder.write(f"slot{i + 1}", "WRITE")

        loop = asyncio.get_running_loop()
        if join == "in a task group":
            async with asyncio.TaskGroup() as group:
                for i in range(workers):
                    group.create_task(work(i), name=f"w{i + 1}")
        else:
            tasks = [loop.create_task(work(i), name=f"w{i + 1}") for i in range(workers)]
            if join == "one by one":
                for task in tasks:
                    await task
            elif join == "with gather":
                await asyncio.gather(*tasks)
            else:
                await asyncio.sleep(pause)
        for i in range(workers):
            recorder.read(f"slot{i + 1}", "READ")
        return slots

    return program
