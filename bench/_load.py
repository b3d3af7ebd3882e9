"""A small asyncio HTTP/1.1 load generator for the benchmarks: keep-alive connections, one request in
flight on each, requests built ahead of time (bench/_common.signed_post), latencies and errors counted."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field


class Conn(asyncio.Protocol):
    """One keep-alive HTTP/1.1 client connection; one request in flight at a time."""

    def __init__(self):
        self.transport = None
        self.buf = bytearray()
        self.waiter: asyncio.Future | None = None
        self.closed = False
        self.need = -1  # total bytes of the current response once its headers are in

    def connection_made(self, transport):
        self.transport = transport

    def connection_lost(self, exc):
        self.closed = True
        if self.waiter and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection closed before a full response"))

    def data_received(self, data):
        self.buf += data
        if self.need < 0:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).lower()
            at = head.find(b"content-length:")
            length = 0
            if at >= 0:
                eol = head.find(b"\r\n", at)
                length = int(head[at + 15:eol if eol >= 0 else len(head)])
            self.need = end + 4 + length
        if len(self.buf) >= self.need and self.waiter and not self.waiter.done():
            response = bytes(self.buf[:self.need])
            del self.buf[:self.need]
            self.need = -1
            self.waiter.set_result(response)

    def request(self, data: bytes) -> asyncio.Future:
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return self.waiter


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    ok: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    connects: int = 0
    wall: float = 0.0

    @property
    def sent(self) -> int:
        return self.ok + self.errors


def _response_ok(response: bytes, must_contain: bytes) -> tuple[bool, bool]:
    """(ok, keep_alive)"""
    line_end = response.find(b"\r\n")
    status_ok = response[9:12] == b"200"
    head_end = response.find(b"\r\n\r\n")
    head = response[line_end:head_end].lower()
    keep_alive = b"connection: close" not in head
    return status_ok and must_contain in response[head_end:], keep_alive


async def _run_load(port: int, requests: list[bytes], concurrency: int, duration: float | None,
                    must_contain: bytes, timeout: float, stagger: float = 0.0) -> Result:
    loop = asyncio.get_running_loop()
    result = Result()
    it = iter(requests)
    perf = time.perf_counter
    stop_at = perf() + duration if duration else None

    async def connect() -> Conn:
        _, conn = await loop.create_connection(Conn, "127.0.0.1", port)
        result.connects += 1
        return conn

    async def client(n: int) -> None:
        conn = None
        if stagger:
            await asyncio.sleep(n * stagger)
        for data in it:
            if stop_at is not None and perf() >= stop_at:
                break
            t0 = perf()
            try:
                if conn is None or conn.closed:
                    conn = await connect()
                response = await asyncio.wait_for(conn.request(data), timeout)
            except (OSError, ConnectionError, asyncio.TimeoutError) as exc:
                result.latencies.append(perf() - t0)
                result.errors += 1
                if len(result.error_samples) < 5:
                    result.error_samples.append(f"{type(exc).__name__}: {exc}")
                if conn is not None:
                    conn.transport.close()
                conn = None
                continue
            result.latencies.append(perf() - t0)
            ok, keep_alive = _response_ok(response, must_contain)
            if ok:
                result.ok += 1
            else:
                result.errors += 1
                if len(result.error_samples) < 5:
                    result.error_samples.append(response[:300].decode(errors="replace"))
            if not keep_alive:
                conn.transport.close()
                conn = None
        if conn is not None:
            conn.transport.close()

    t0 = perf()
    await asyncio.gather(*(client(n) for n in range(concurrency)))
    result.wall = perf() - t0
    return result


def run_load(port: int, requests: list[bytes], concurrency: int, duration: float | None = None,
             must_contain: bytes = b"<Message>", timeout: float = 10.0, stagger: float = 0.0) -> Result:
    """Closed loop: `concurrency` connections each send the next pre-built request as soon as the
    previous answer is in, until `requests` run out or `duration` seconds have passed.

    `stagger`: seconds between one connection's start and the next's. Opened all at once, the
    connections mostly land on whichever gunicorn worker wakes first (it accepts the whole burst
    before the others are scheduled) and that one worker's single core bounds the rate; opened one
    after another, as traffic arrives in life, a busy worker leaves the next one to an idle one."""
    return asyncio.run(_run_load(port, requests, concurrency, duration, must_contain, timeout, stagger))
