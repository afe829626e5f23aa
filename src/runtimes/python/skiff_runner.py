"""Runs a session's `language: "python"` interact calls, one after another, in one interpreter
that lives as long as the session (python-runtime.ts starts it and kills it on a timeout).

`page`, `context` and `browser` are Playwright for Python's own async objects, connected over
CDP to the session's Chromium. Playwright's driver is the one the session host's node runtime
already runs (playwright-driver.ts), reached on a socket instead of a driver process of our own.

The host speaks to this runner on fd 3, one JSON object a line:
  host → runner: {"id": n, "code": "..."}
  runner → host: {"ready": true} once connected, then per call any number of
                 {"id": n, "stream": "stdout" | "stderr", "text": "..."} and one
                 {"id": n, "result": "...", "failed": false | true}
"""

import ast
import asyncio
import builtins
import ctypes
import io
import json
import linecache
import os
import signal
import socket
import sys
import traceback

from playwright._impl import out_of_process
from playwright._impl.transport import Transport
from playwright._impl.utils.tasks import wait_for_next_task
from playwright.async_api import async_playwright

FILENAME = "<interact>"
RESULT_NAME = "__skiff_result__"
OUTPUT_CAP_BYTES = 1_000_000


class DriverSocket(Transport):
    """Playwright's pipe transport, on a socket to the session host's driver: each message is a
    4-byte little-endian length, then that many bytes of JSON."""

    def __init__(self, loop):
        super().__init__(loop)
        self._stopped = False

    async def connect(self):
        self._stopped_future = self._loop.create_future()
        try:
            address = os.environ["SKIFF_PLAYWRIGHT_DRIVER"]
            if address.startswith("@"):
                address = "\0" + address[1:]  # an abstract socket, as ss(8) writes it
            self._reader, self._writer = await asyncio.open_unix_connection(address, limit=1 << 20)
        except Exception as error:
            self.on_error_future.set_exception(error)
            raise

    async def run(self):
        try:
            while not self._stopped:
                try:
                    length = int.from_bytes(await self._reader.readexactly(4), "little")
                    data = await self._reader.readexactly(length)
                except (asyncio.IncompleteReadError, ConnectionError):
                    break
                self.on_message(self.deserialize_message(data))
                await wait_for_next_task()
        finally:
            self._stopped_future.done() or self._stopped_future.set_result(None)
            if not self._stopped:
                # The node runtime's worker was replaced: this interpreter is stale.
                print("skiff: Playwright's driver went away", file=sys.__stderr__)
                os._exit(3)

    def send(self, message):
        data = self.serialize_message(message)
        self._writer.write(len(data).to_bytes(4, "little") + data)

    def request_stop(self):
        self._stopped = True
        self._writer.close()

    async def wait_until_stopped(self):
        await self._stopped_future


class Channel:
    """fd 3, the socket python-runtime.ts gave this process."""

    def __init__(self, reader, writer):
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls):
        reader, writer = await asyncio.open_connection(
            sock=socket.socket(fileno=3), limit=64 << 20
        )
        return cls(reader, writer)

    async def receive(self):
        line = await self._reader.readline()
        return json.loads(line) if line else None

    def send(self, **message):
        self._writer.write(json.dumps(message).encode() + b"\n")

    async def drain(self):
        await self._writer.drain()


class CallOutput(io.TextIOBase):
    """sys.stdout or sys.stderr during one call: sent to the host as it is written, up to the cap."""

    def __init__(self, channel, call_id, stream):
        self._channel = channel
        self._id = call_id
        self._stream = stream
        self._sent = 0

    def writable(self):
        return True

    def write(self, text):
        if self._sent <= OUTPUT_CAP_BYTES and text:
            # One past the cap is enough for the host to see the stream was cut.
            chunk = text[: OUTPUT_CAP_BYTES + 1 - self._sent]
            self._sent += len(chunk.encode(errors="replace"))
            self._channel.send(id=self._id, stream=self._stream, text=chunk)
        return len(text)


def compile_call(code):
    """The code as a module that may await at top level; its last expression is kept."""
    linecache.cache[FILENAME] = (len(code), None, code.splitlines(True), FILENAME)
    tree = ast.parse(code, FILENAME, "exec")
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr):
        target = ast.Name(RESULT_NAME, ast.Store())
        tree.body[-1] = ast.copy_location(ast.Assign([target], last.value), last)
        ast.fix_missing_locations(tree)
    return compile(tree, FILENAME, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def describe(value):
    """A string as is, None as "", else JSON (no NaN), else repr; cut one past the cap."""
    if isinstance(value, str):
        text = value
    elif value is None:
        text = ""
    else:
        try:
            text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError):
            text = repr(value)
    return text[: OUTPUT_CAP_BYTES + 1]


def describe_error(error):
    """The traceback as Python prints it, without this runner's frames."""
    frames = [] if isinstance(error, SyntaxError) else traceback.extract_tb(error.__traceback__)
    frames = [frame for frame in frames if frame.filename != __file__]
    while frames and frames[0].filename != FILENAME:
        frames.pop(0)
    head = ["Traceback (most recent call last):\n", *traceback.format_list(frames)] if frames else []
    return "".join(head + traceback.format_exception_only(type(error), error))


async def run_call(channel, call_id, code, scope):
    stdout = CallOutput(channel, call_id, "stdout")
    stderr = CallOutput(channel, call_id, "stderr")
    sys.stdout, sys.stderr = stdout, stderr
    try:
        namespace = {"__name__": "__main__", "__builtins__": builtins, **await scope()}
        outcome = eval(compile_call(code), namespace)
        if asyncio.iscoroutine(outcome):
            await outcome
        result, failed = describe(namespace.get(RESULT_NAME)), False
    except BaseException as error:  # noqa: BLE001 - the user's SystemExit is a failure too
        sys.stdout.flush()
        print(describe_error(error), end="", file=stderr)
        result, failed = "", True
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    channel.send(id=call_id, result=result, failed=failed)


async def content_page(browser, current):
    """The session's content tab, by the node runtime's rule (replay.ts, pickContentPage)."""
    if current is not None and not current.is_closed():
        return current
    context = browser.contexts[0] if browser.contexts else await browser.new_context()
    pages = context.pages
    chosen = next((p for p in pages if p.url != "about:blank"), pages[0] if pages else None)
    return chosen or await context.new_page()


def die_with_host():
    """The interpreter runs in a process group of its own (so a timeout can kill all it started);
    should the session host die, a call busy in a loop must not outlive it."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


async def main():
    die_with_host()
    channel = await Channel.open()
    # Playwright for Python starts its client through out_of_process.PlaywrightClient, which
    # makes a PipeTransport to a driver process; the driver here is already running.
    out_of_process.PipeTransport = DriverSocket
    playwright = await async_playwright().start()
    connect = lambda: playwright.chromium.connect_over_cdp(os.environ["SKIFF_CDP_ENDPOINT"])  # noqa: E731
    browser = await connect()
    channel.send(ready=True)
    page = None

    async def scope():
        nonlocal page, browser
        # User code may close its connection (`await browser.close()`): the next call reconnects.
        if not browser.is_connected():
            browser, page = await connect(), None
        page = await content_page(browser, page)
        return {"page": page, "context": page.context, "browser": browser}

    while (request := await channel.receive()) is not None:
        await run_call(channel, request["id"], request["code"], scope)
        await channel.drain()


if __name__ == "__main__":
    asyncio.run(main())
