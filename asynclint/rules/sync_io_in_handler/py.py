"""sync-io-in-handler for Python: blocking calls inside ``async def``.

An ``async def`` runs on the event loop's only thread; a call that blocks
(sleeps, waits for disk, network or a child process) stops every other task
until it returns. Flagged, with names resolved through imports
(``from time import sleep as nap``):

- ``time.sleep``; ``input()``
- ``open()`` / ``io.open()``; ``read_text/write_text/read_bytes/write_bytes/open``
  on a ``pathlib.Path`` whose origin is evident (``Path(...)``, ``p / "x"``,
  ``.parent``, a variable or parameter annotated ``Path``)
- ``requests.get/post/...``, ``httpx.get/post/...`` (the sync API),
  ``urllib.request.urlopen/urlretrieve``, and the same methods on a
  ``requests.Session()`` / ``httpx.Client()`` receiver
- ``subprocess.run/call/check_call/check_output/getoutput/getstatusoutput``,
  ``os.system``, ``.wait()`` / ``.communicate()`` on a ``subprocess.Popen``
- ``socket.create_connection/getaddrinfo/gethostbyname...``, and
  ``recv/send/sendall/accept/connect...`` on a ``socket.socket()`` receiver
  (unless the function calls ``.setblocking(...)`` on it)

"Inside async def" is the nearest enclosing function: a nested ``def`` or
``lambda`` (often handed to an executor) is not the event loop's business.
Anything inside the arguments of ``asyncio.to_thread``,
``loop.run_in_executor``, ``anyio.to_thread.run_sync``,
``starlette.concurrency.run_in_threadpool`` or ``asgiref``'s
``sync_to_async`` is not flagged either.

The fix (unsafe: it changes timing) is offered for a ``time.sleep(...)``
statement in a module that does ``import asyncio``: ``await asyncio.sleep(...)``.
"""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from ...findings import Fix, FixSafety
from ...python.context import PATH_TYPES, last_name
from ...python.rule import PyRule
from . import META

SLEEP = "Use `await asyncio.sleep(...)`."
FILE = "Use `await asyncio.to_thread(...)` for the file work (or aiofiles / anyio's async files)."
HTTP = "Use an async client (aiohttp, `httpx.AsyncClient`), or `await asyncio.to_thread(...)`."
PROC = "Use `await asyncio.create_subprocess_exec(...)` and `await proc.communicate()`."
SOCK = "Use `asyncio.open_connection(...)` / `loop.getaddrinfo(...)` / `loop.sock_*` methods."
INPUT = "Use `await asyncio.to_thread(input, ...)`."

_HTTP_FUNCS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
BLOCKING = {
    "time.sleep": SLEEP,
    "builtins.open": FILE,
    "io.open": FILE,
    "builtins.input": INPUT,
    "urllib.request.urlopen": HTTP,
    "urllib.request.urlretrieve": HTTP,
    "subprocess.run": PROC,
    "subprocess.call": PROC,
    "subprocess.check_call": PROC,
    "subprocess.check_output": PROC,
    "subprocess.getoutput": PROC,
    "subprocess.getstatusoutput": PROC,
    "os.system": PROC,
    "socket.create_connection": SOCK,
    "socket.getaddrinfo": SOCK,
    "socket.gethostbyname": SOCK,
    "socket.gethostbyname_ex": SOCK,
    "socket.gethostbyaddr": SOCK,
    "socket.getfqdn": SOCK,
}
for _f in _HTTP_FUNCS:
    BLOCKING[f"requests.{_f}"] = HTTP
    BLOCKING[f"httpx.{_f}"] = HTTP
BLOCKING["httpx.stream"] = HTTP

_PATH_IO = frozenset({"read_text", "write_text", "read_bytes", "write_bytes", "open"})
_SOCKET_IO = frozenset({"recv", "recv_into", "recvfrom", "recvfrom_into", "send", "sendall", "sendto",
                        "sendfile", "accept", "connect"})
RECEIVER_BLOCKING = {
    "requests.Session": (frozenset(_HTTP_FUNCS), HTTP),
    "requests.session": (frozenset(_HTTP_FUNCS), HTTP),
    "requests.sessions.Session": (frozenset(_HTTP_FUNCS), HTTP),
    "httpx.Client": (frozenset(_HTTP_FUNCS) | {"send", "stream"}, HTTP),
    "subprocess.Popen": (frozenset({"wait", "communicate"}), PROC),
    "socket.socket": (_SOCKET_IO, SOCK),
    "socket.create_connection": (_SOCKET_IO, SOCK),
}
for _p in PATH_TYPES:
    RECEIVER_BLOCKING[_p] = (_PATH_IO, FILE)

RECEIVER_CLASSES = frozenset(kind.split(".")[-1] for kind in RECEIVER_BLOCKING)
BUILTIN_BLOCKING = frozenset(q.split(".", 1)[1] for q in BLOCKING if q.startswith("builtins."))
CANDIDATE_NAMES = frozenset(q.rsplit(".", 1)[1] for q in BLOCKING).union(
    *(methods for methods, _ in RECEIVER_BLOCKING.values()))
OFFLOADERS = frozenset(
    {"asyncio.to_thread", "anyio.to_thread.run_sync", "starlette.concurrency.run_in_threadpool",
     "asgiref.sync.sync_to_async"}
)
OFFLOAD_METHODS = frozenset({"run_in_executor", "run_in_threadpool", "to_thread", "run_sync", "submit"})


class Check(PyRule):
    meta = META
    # only code inside ``async def`` is looked at
    TRIGGER = re.compile(r"\basync\b")

    def __init__(self, ctx):
        super().__init__(ctx)
        self._imports_asyncio: Optional[bool] = None

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, (cst.Name, cst.Attribute)):
            return
        ctx = self.ctx
        if last_name(func) not in CANDIDATE_NAMES and not (
                isinstance(func, cst.Name) and any(i.aliased for i in ctx.imported_as(func.value))):
            return  # cannot be one of ours: no scope analysis needed
        fn = ctx.async_def_of(node)
        if fn is None:
            return
        found = self._blocking(node)
        if found is None or self._offloaded(node, fn):
            return
        label, advice, is_sleep = found
        if label.endswith(("recv()", "send()", "sendall()", "accept()", "connect()", "recv_into()",
                           "recvfrom()", "recvfrom_into()", "sendto()", "sendfile()")):
            receiver = ctx.code(func.value) if isinstance(func, cst.Attribute) else ""
            if receiver and f"{receiver}.setblocking(" in ctx.code(fn):
                return  # a non-blocking socket driven by hand
        self.report(
            node,
            f"`{label}` blocks the event loop inside `async def {fn.name.value}`: until it returns, no other "
            f"task, callback or I/O is served. {advice}",
            fix=self._sleep_fix(node) if is_sleep else None,
        )

    def _blocking(self, call: cst.Call):
        ctx = self.ctx
        func = call.func
        textual = {q for q, level in ctx.textual_import_targets(func) if not level}
        if isinstance(func, cst.Name) and func.value in BUILTIN_BLOCKING:
            textual.add(f"builtins.{func.value}")
        if textual & BLOCKING.keys():  # a candidate by the imports: confirm with the scope analysis
            for name in ctx.qualnames(func):
                advice = BLOCKING.get(name)
                if advice is not None:
                    return f"{name.removeprefix('builtins.')}()", advice, name == "time.sleep"
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if not any(method in methods for methods, _ in RECEIVER_BLOCKING.values()):
                return None
            if not ctx.mentions(RECEIVER_CLASSES):
                return None
            kind = ctx.receiver_type(func.value)
            entry = RECEIVER_BLOCKING.get(kind or "")
            if entry is not None and method in entry[0]:
                receiver = ctx.label(func.value) or kind.split(".")[-1]
                return f"{receiver}.{method}()", entry[1], False
        return None

    def _offloaded(self, node, fn) -> bool:
        ctx = self.ctx
        for anc in ctx.ancestors(node):
            if anc is fn:
                return False
            if isinstance(anc, cst.Arg):
                call = ctx.parent(anc)
                if isinstance(call, cst.Call) and isinstance(call.func, (cst.Name, cst.Attribute)):
                    if ctx.qualnames(call.func) & OFFLOADERS:
                        return True
                    if isinstance(call.func, cst.Attribute) and call.func.attr.value in OFFLOAD_METHODS:
                        return True
        return False

    def _sleep_fix(self, call: cst.Call) -> Optional[Fix]:
        ctx = self.ctx
        if not isinstance(ctx.parent(call), cst.Expr) or call.lpar:
            return None
        if self._imports_asyncio is None:
            self._imports_asyncio = any(
                isinstance(small, cst.Import) and any(
                    isinstance(a.name, cst.Name) and a.name.value == "asyncio" and a.asname is None
                    for a in small.names)
                for stmt in ctx.module.body if isinstance(stmt, cst.SimpleStatementLine)
                for small in stmt.body
            )
        if not self._imports_asyncio:
            return None
        text = ctx.code(call)
        func_text = ctx.code(call.func)
        new = "await asyncio.sleep" + text[len(func_text):]
        return Fix("Replace with `await asyncio.sleep(...)`", (ctx.edit_replace(call, new),), FixSafety.UNSAFE)
