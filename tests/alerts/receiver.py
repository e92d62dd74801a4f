"""A webhook receiver for tests: a tiny HTTP/1.1 server on 127.0.0.1 that records every
request and answers as told (a queue of status codes, then a default), or never answers."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType

from tests.support.events import wait_until


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes


@dataclass
class Receiver:
    default_status: int = 200
    hang: bool = False  # read the request, then never answer (the sender times out)
    requests: list[Received] = field(default_factory=list)
    _statuses: deque[int] = field(default_factory=deque)
    _server: asyncio.Server | None = None
    _port: int = 0
    _released: asyncio.Event = field(default_factory=asyncio.Event)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}/hooks/firesafe"

    def answer(self, *statuses: int) -> None:
        """Answer the next requests with these codes, in order, then `default_status`."""
        self._statuses.extend(statuses)

    async def wait_for(self, count: int, timeout: float = 20) -> list[Received]:
        await wait_until(lambda: len(self.requests) >= count, timeout=timeout)
        return self.requests

    async def start(self) -> Receiver:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self._port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self._released.set()
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> Receiver:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            request_line = (await reader.readline()).decode("latin-1").strip()
            headers: dict[str, str] = {}
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            method, path, _version = request_line.split(" ", 2)
            self.requests.append(Received(method, path, headers, body))
            if self.hang:
                await self._released.wait()
                return
            status = self._statuses.popleft() if self._statuses else self.default_status
            phrase = HTTPStatus(status).phrase
            writer.write(
                f"HTTP/1.1 {status} {phrase}\r\nContent-Type: text/plain\r\n"
                f"Content-Length: 2\r\nConnection: close\r\n\r\nok".encode("latin-1")
            )
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass  # the sender gave up (a timeout) or sent something odd: nothing to record
        finally:
            self._writers.discard(writer)
            writer.close()
