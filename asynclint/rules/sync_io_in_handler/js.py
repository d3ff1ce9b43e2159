"""sync-io-in-handler for JavaScript/TypeScript.

A blocking call — ``fs.*Sync``, ``child_process.*Sync``, ``zlib.*Sync``, the
slow ``crypto`` key functions, or ``require()`` — inside code that serves
requests: a route handler, middleware, a server's request callback, a
socket's message handler, any function with handler-shaped parameters, or a
same-file helper that such code calls. Top-level and start-up code is fine
(reading configuration at boot blocks nobody), and so are worker files.
"""

from __future__ import annotations

from ...findings import Fix, FixSafety
from ..base import JsRule
from . import META

BLOCKING_EXACT = frozenset(
    {
        "child_process.execSync",
        "child_process.spawnSync",
        "child_process.execFileSync",
        "crypto.pbkdf2Sync",
        "crypto.scryptSync",
        "crypto.generateKeyPairSync",
        "crypto.randomFillSync",
    }
)
SYNC_MODULES = ("fs", "zlib")
# fs.readFileSync(p[, enc]) → await fs.promises.readFile(p[, enc]): same arguments, same result.
PROMISE_TWINS = {
    "readFileSync": "readFile",
    "writeFileSync": "writeFile",
    "appendFileSync": "appendFile",
    "readdirSync": "readdir",
    "statSync": "stat",
    "lstatSync": "lstat",
    "mkdirSync": "mkdir",
    "unlinkSync": "unlink",
    "rmSync": "rm",
    "renameSync": "rename",
    "copyFileSync": "copyFile",
    "accessSync": "access",
    "realpathSync": "realpath",
    "readlinkSync": "readlink",
}


class Check(JsRule):
    meta = META
    call_suffix = "Sync"
    plain_calls = frozenset({"require"})

    def on_call(self, call, name, member):
        if not member and self.ctx.text(name) == "require":
            self.on_match({"require_call": [call]})
        else:
            self.on_match({"sync_call": [call]})

    def on_match(self, caps):
        ctx = self.ctx
        if ctx.is_worker_file:
            return
        if "sync_call" in caps:
            call = caps["sync_call"][0]
            qn = ctx.qualname(call.child_by_field_name("function"))
            if qn is None:
                return
            module, _, func = qn.partition(".")
            if not (qn in BLOCKING_EXACT or (module in SYNC_MODULES and func.endswith("Sync") and "." not in func)):
                return
            why = ctx.serving_context(call)
            if why is None:
                return
            self.report(
                call,
                f"`{qn}()` blocks the event loop inside {why}: every other request waits until it "
                f"returns. {self._advice(module, func)}",
                fix=self._fix(call, module, func),
            )
        elif "require_call" in caps:
            call = caps["require_call"][0]
            if "require" in ctx.bindings or "require" in ctx.functions:
                return
            if ctx.enclosing_function(call) is None:
                return
            why = ctx.serving_context(call)
            if why is None:
                return
            self.report(
                call,
                f"`require()` inside {why} reads and runs a module synchronously on the first request "
                "(and looks it up on every one). Move it to the top of the file, or use `await import()`.",
            )

    @staticmethod
    def _advice(module: str, func: str) -> str:
        if module == "fs":
            if func == "existsSync":
                return "Use `await fs.promises.access()` (it rejects when the path is missing) instead."
            twin = PROMISE_TWINS.get(func)
            if twin is None:
                return "Use the asynchronous fs API (`fs.promises`) instead."
            return f"Use `await fs.promises.{twin}()` (or the callback API) instead."
        if module == "child_process":
            return f"Use the asynchronous `{func[:-4]}()` (promisified) instead."
        if module == "zlib":
            return f"Use the asynchronous `zlib.{func[:-4]}()` or a stream instead."
        return f"Use the asynchronous `crypto.{func[:-4]}()` instead; it runs on the libuv thread pool."

    def _fix(self, call, module: str, func: str):
        """fs.xSync(args) → await fs.promises.x(args), only inside an async
        function and only for calls that map one to one."""
        ctx = self.ctx
        if module != "fs" or func not in PROMISE_TWINS:
            return None
        fn = ctx.enclosing_function(call)
        if fn is None or not ctx.is_async(fn):
            return None
        callee = call.child_by_field_name("function")
        # Only the plain `fs.readFileSync(...)` form, with `fs` the module itself.
        if callee.type != "member_expression":
            return None
        obj = callee.child_by_field_name("object")
        ref = ctx.resolve(obj)
        if obj.type != "identifier" or ref is None or ref.module != "fs" or ref.attrs:
            return None
        args = call.child_by_field_name("arguments")
        replacement = f"await {ctx.text(obj)}.promises.{PROMISE_TWINS[func]}{ctx.text(args)}"
        parent = call.parent
        if parent is not None and parent.type in ("member_expression", "subscript_expression", "call_expression"):
            replacement = f"({replacement})"
        return Fix(f"Use fs.promises.{PROMISE_TWINS[func]}", (ctx.edit_replace(call, replacement),), FixSafety.UNSAFE)
