"""Runs one `language: "python"` interact call: the user's code with top-level await and an
async `page` and `context` that follow Playwright for Python. There is no Playwright for
Python here: every call crosses a socket (fd 3) to the session host's Node Playwright, which
translates names (snake_case to camelCase) and keyword arguments (to an options object).
The value of the last expression statement is the call's `result`."""

import ast
import asyncio
import base64
import json
import socket
import sys
import traceback

_SOCK = socket.socket(fileno=3)
_IN = _SOCK.makefile("rb")
_OUT = _SOCK.makefile("wb")
_next_id = 0


class Error(Exception):
    """A Playwright error, as Playwright for Python raises it."""


class TimeoutError(Error):  # noqa: A001 - the name Playwright for Python uses
    """A Playwright timeout."""


# Attributes Playwright for Python exposes as properties; everything else is a method.
_PROPERTIES = {
    "url", "keyboard", "mouse", "touchscreen", "context", "main_frame", "frames", "first",
    "last", "pages", "browser", "request", "viewport_size", "page", "video", "clock", "name",
    "parent_frame", "child_frames", "status", "status_text", "ok", "headers", "method",
    "resource_type", "post_data", "frame", "contexts",
}
# Methods that return at once (a Locator, say) rather than a coroutine.
_SYNC_METHODS = {
    "locator", "get_by_role", "get_by_text", "get_by_label", "get_by_placeholder",
    "get_by_alt_text", "get_by_title", "get_by_test_id", "nth", "filter", "frame_locator",
    "and_", "or_", "content_frame", "owner", "is_closed", "set_default_timeout",
    "set_default_navigation_timeout",
}
# Where the Python name is not the camelCase of the Node one.
_RENAMED = {
    "query_selector": "$",
    "query_selector_all": "$$",
    "eval_on_selector": "$eval",
    "eval_on_selector_all": "$$eval",
    "expect_popup": "waitForEvent",
}


def _camel(name):
    if name in _RENAMED:
        return _RENAMED[name]
    head, *rest = name.rstrip("_").split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _rpc(op, **payload):
    global _next_id
    _next_id += 1
    _OUT.write((json.dumps({"id": _next_id, "op": op, **payload}) + "\n").encode())
    _OUT.flush()
    line = _IN.readline()
    if not line:
        raise Error("the session host closed the bridge")
    reply = json.loads(line)
    if "error" in reply:
        kind = TimeoutError if reply.get("name") == "TimeoutError" else Error
        raise kind(reply["error"])
    return _decode(reply.get("value"))


class Handle:
    """A Playwright object living in the session host, by id."""

    def __init__(self, handle_id, kind):
        self._id = handle_id
        self._kind = kind

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name in _PROPERTIES:
            return _rpc("get", target=self._id, name=_camel(name))
        call = lambda *args, **kwargs: _rpc(  # noqa: E731
            "call", target=self._id, name=_camel(name), python=name, args=_args(args, kwargs)
        )
        if name in _SYNC_METHODS:
            return call

        async def method(*args, **kwargs):
            return call(*args, **kwargs)

        return method

    def __repr__(self):
        return f"<{self._kind}>"


def _args(args, kwargs):
    encoded = [_encode(a) for a in args]
    if kwargs:
        encoded.append({_camel(k): _encode(v) for k, v in kwargs.items()})
    return encoded


def _encode(value):
    if isinstance(value, Handle):
        return {"$handle": value._id}
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(value).decode()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def _decode(value):
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if "$handle" in value:
            return Handle(value["$handle"], value.get("kind", "JSHandle"))
        if "$bytes" in value:
            return base64.b64decode(value["$bytes"])
        return {k: _decode(v) for k, v in value.items()}
    return value


def _describe(value):
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=repr)
    except (TypeError, ValueError):
        return repr(value)


def _compile(source):
    """The code, with its last expression statement assigned to `__skiff_result__`."""
    tree = ast.parse(source, "<interact>", "exec")
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = tree.body[-1]
        target = ast.Name(id="__skiff_result__", ctx=ast.Store())
        tree.body[-1] = ast.copy_location(ast.Assign(targets=[target], value=last.value), last)
        ast.fix_missing_locations(tree)
    return compile(tree, "<interact>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


async def _run(source):
    page, context = _rpc("start")
    scope = {"__name__": "__main__", "page": page, "context": context, "Error": Error,
             "TimeoutError": TimeoutError, "asyncio": asyncio}
    outcome = eval(_compile(source), scope)  # noqa: S307 - running the user's code is the point
    if asyncio.iscoroutine(outcome):
        await outcome
    return scope.get("__skiff_result__")


def _user_traceback(error):
    """The traceback from the user's code down, without this runner's frames."""
    report = traceback.TracebackException.from_exception(error)
    user_frames = [frame for frame in report.stack if frame.filename == "<interact>"]
    if user_frames:
        report.stack = traceback.StackSummary.from_list(user_frames)
    return "".join(report.format())


def main():
    source = sys.stdin.read()
    try:
        result = asyncio.run(_run(source))
    except BaseException as error:  # noqa: BLE001 - every failure is the user's to read
        sys.stdout.flush()
        sys.stderr.write(_user_traceback(error))
        sys.exit(1)
    sys.stdout.flush()
    _OUT.write((json.dumps({"op": "result", "value": _describe(result)}) + "\n").encode())
    _OUT.flush()


main()
