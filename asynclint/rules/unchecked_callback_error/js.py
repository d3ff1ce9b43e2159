"""unchecked-callback-error for JavaScript/TypeScript.

A Node-style API reports failure through the first argument of its callback.
A callback that never reads that argument carries on with ``undefined``
results as if the operation had worked. Reported: a function literal passed
as the last argument of

- a Node core API with an error-first callback (``fs.readFile``,
  ``child_process.exec``, ``dns.lookup``, ``zlib.gzip``, ``crypto.randomBytes``,
  ``stream.pipeline`` ..., through imports, destructuring and aliases), whatever
  its first parameter is called; or
- any other call, when the callback's first parameter is named ``err``,
  ``error``, ``er`` (or ``e`` with at least one more parameter),

whose first parameter is never read in its body. A name starting with ``_``
says "deliberately unused" and is not reported; so are event listeners
(``.on('error', (err) => ...)``), promise handlers (``.then/.catch``), array
callbacks and Express error middleware ``(err, req, res, next)``.
"""

from __future__ import annotations

import re

from ...javascript.context import real_children
from ..base import JsRule
from . import META

FUNCTION_TYPES = frozenset({"arrow_function", "function_expression", "function"})
ALL_FUNCTION_TYPES = FUNCTION_TYPES | {"function_declaration", "method_definition", "generator_function",
                                       "generator_function_declaration"}
ERR_NAMES = frozenset({"err", "error", "er"})

CORE_ERROR_FIRST = {
    "fs": frozenset({
        "access", "appendFile", "chmod", "chown", "close", "copyFile", "cp", "fchmod", "fchown", "fdatasync",
        "fstat", "fsync", "ftruncate", "futimes", "lchmod", "lchown", "link", "lstat", "lutimes", "mkdir",
        "mkdtemp", "open", "opendir", "read", "readdir", "readFile", "readlink", "readv", "realpath", "rename",
        "rm", "rmdir", "stat", "statfs", "symlink", "truncate", "unlink", "utimes", "write", "writeFile",
        "writev",
    }),
    "child_process": frozenset({"exec", "execFile"}),
    "dns": frozenset({
        "lookup", "lookupService", "resolve", "resolve4", "resolve6", "resolveAny", "resolveCaa", "resolveCname",
        "resolveMx", "resolveNaptr", "resolveNs", "resolvePtr", "resolveSoa", "resolveSrv", "resolveTxt",
        "reverse",
    }),
    "zlib": frozenset({
        "deflate", "deflateRaw", "gzip", "gunzip", "inflate", "inflateRaw", "unzip", "brotliCompress",
        "brotliDecompress",
    }),
    "crypto": frozenset({
        "randomBytes", "pbkdf2", "scrypt", "generateKeyPair", "generateKey", "randomFill", "randomInt",
        "generatePrime", "checkPrime", "hkdf",
    }),
    "stream": frozenset({"pipeline", "finished"}),
}
# Methods whose function arguments are not error-first callbacks.
NOT_ERROR_FIRST = frozenset({
    "on", "once", "addListener", "prependListener", "prependOnceListener", "off", "removeListener",
    "addEventListener", "removeEventListener", "emit", "then", "catch", "finally",
    "map", "forEach", "filter", "reduce", "reduceRight", "some", "every", "find", "findIndex", "findLast",
    "findLastIndex", "flatMap", "sort", "toSorted",
    "use", "error",
    "catchError", "subscribe", "pipe", "tap", "onError", "setErrorHandler", "errorHandler",
    "throws", "rejects", "doesNotThrow", "doesNotReject", "assert", "it", "test", "describe",
    "replace", "replaceAll", "match", "matchAll", "split",
})
MINIFIED_LINE = 1000
CORE_NAMES = frozenset(set().union(*CORE_ERROR_FIRST.values()) | {"native"})
ERR_FIRST_PARAM = re.compile(r"^(err|error|er|e)([^A-Za-z0-9_$]|$)")
DEFERRERS = frozenset({"process.nextTick", "setImmediate", "setTimeout", "queueMicrotask"})


class Check(JsRule):
    meta = META
    # A function passed last to a call (callbacks come from the runner) is a
    # candidate when its first parameter is spelled like an
    # error, or when the callee's last name is a Node core error-first API
    # (resolved in on_match).
    wants_callbacks = True

    def on_callback(self, callback, arguments):
        sibling = callback.next_named_sibling
        while sibling is not None and sibling.is_extra:
            sibling = sibling.next_named_sibling
        if sibling is not None:
            return  # not the last argument
        call = arguments.parent
        if call is None or call.type != "call_expression":
            return
        if not self._err_first(callback):
            callee = call.child_by_field_name("function")
            if callee is not None and callee.type == "member_expression":
                callee = callee.child_by_field_name("property")
                if callee is not None and callee.type != "property_identifier":
                    return
            elif callee is None or callee.type != "identifier":
                return
            if callee is None or self.ctx.text(callee) not in CORE_NAMES:
                return
        self.on_match({"uce_call": [call], "uce_callback": [callback]})

    def _err_first(self, callback) -> bool:
        params = callback.child_by_field_name("parameters")
        if params is not None:
            if params.type != "formal_parameters":
                return False
            first = real_children(params)[:1]
            if not first:
                return False
            first = first[0]
        else:
            first = callback.child_by_field_name("parameter")
            if first is None or first.type != "identifier" or callback.type != "arrow_function":
                return False
        return ERR_FIRST_PARAM.search(self.ctx.text(first)) is not None

    def __init__(self, ctx):
        super().__init__(ctx)
        self._seen: set[int] = set()

    def on_match(self, caps):
        ctx = self.ctx
        call = caps["uce_call"][0]
        callback = caps["uce_callback"][0]
        if callback.id in self._seen:
            return
        self._seen.add(callback.id)
        params = ctx.param_names(callback)
        if not params:
            return
        first = params[0]
        if not first or first.startswith("_"):
            return
        core = self._core_api(call)
        if core is None:
            if first not in ERR_NAMES and not (first == "e" and len(params) >= 2):
                return
            method = ctx.callee_name(call)
            if method in NOT_ERROR_FIRST or method is None:
                return
            if ctx.handler_shape(callback):
                return  # (err, req, res, next): Express error middleware
            if self._minified(call):
                return  # one-letter names in bundles say nothing about error-first
        if self._reads(callback, first) or self._never_meant_to_run(callback) or self._type_test_file():
            return
        if self._result_guarded(callback, params) or self._errors_never_passed(call, callback):
            return
        if core in ("child_process.exec", "child_process.execFile") and len(params) >= 3 and params[2] and \
                self._reads(callback, params[2]):
            return  # the command's failure is read from its stderr
        api = core or f"{self._short(call.child_by_field_name('function'))}()"
        self.report(
            self._param_node(callback) or callback,
            f"The callback passed to `{api}` never reads its error argument `{first}`: when the operation "
            "fails, the code carries on with undefined results as if it had worked, and the failure leaves no "
            f"trace. Check it first (`if ({first}) return callback({first});` or handle it), or name it "
            f"`_{first}` if ignoring it is deliberate.",
        )

    # -------------------------------------------------------------- what
    def _core_api(self, call):
        ctx = self.ctx
        callee = call.child_by_field_name("function")
        ref = ctx.resolve(callee)
        if ref is None or ref.project:
            return None
        qn = ref.qualname
        module, _, func = qn.partition(".")
        names = CORE_ERROR_FIRST.get(module)
        if names is None:
            return None
        if func in names or (module == "fs" and func == "realpath.native"):
            return qn
        return None

    def _never_meant_to_run(self, fn) -> bool:
        """``(err, res) => { t.fail('should not be called') }``: a callback
        whose only statement throws or fails the test."""
        ctx = self.ctx
        body = fn.child_by_field_name("body")
        if body is None:
            return False
        statements = [c for c in body.named_children if c.type != "comment"] if body.type == "statement_block" \
            else [body]
        if len(statements) != 1:
            return False
        only = statements[0]
        if only.type == "throw_statement":
            return True
        if only.type == "expression_statement" and only.named_children:
            only = only.named_children[0]
        if only.type == "call_expression":
            name = ctx.callee_name(only)
            return name in ("fail", "unreachable", "notOk") or ctx.text(only.child_by_field_name("function")) in (
                "assert.fail", "t.fail", "expect.fail")
        return False

    def _type_test_file(self) -> bool:
        """Type tests (``*.test-d.ts``, ``*.tst.ts``) are type-checked, never run."""
        path = self.ctx.path
        return path.endswith((".test-d.ts", ".tst.ts", ".test-d.tsx", ".d.ts", ".d.mts", ".d.cts"))

    def _minified(self, node) -> bool:
        src = self.ctx.source
        start = src.rfind(b"\n", 0, node.start_byte) + 1
        end = src.find(b"\n", node.start_byte)
        return (end if end != -1 else len(src)) - start > MINIFIED_LINE

    def _short(self, node) -> str:
        text = " ".join(self.ctx.text(node).split()) if node is not None else "?"
        return text if len(text) <= 40 else "..." + text[-37:]

    def _param_node(self, fn):
        params = fn.child_by_field_name("parameters")
        if params is None:
            return fn.child_by_field_name("parameter")
        for p in params.named_children:
            if p.type != "comment":
                return p
        return None

    # ------------------------------------------------------- handled anyway
    def _result_guarded(self, fn, params) -> bool:
        """The result is tested before it is used (``if (!stats)``, ``ex &&``,
        ``Array.isArray(pids)``, ``res == null``): on failure it is empty and
        that branch runs, so the error is handled through the result."""
        ctx = self.ctx
        if len(params) < 2 or not params[1]:
            return False
        body = fn.child_by_field_name("body")
        if body is None:
            return False
        refs = ctx.references(params[1], body)
        if not refs:
            return False
        node = refs[0]
        parent = node.parent
        while parent is not None and parent.type == "parenthesized_expression":
            node, parent = parent, parent.parent
        if parent is None:
            return False
        t = parent.type
        if t in ("if_statement", "ternary_expression", "while_statement"):
            return parent.child_by_field_name("condition") == node
        if t == "unary_expression":
            return ctx.text(parent.child_by_field_name("operator")) in ("!", "typeof")
        if t == "binary_expression":
            op = ctx.text(parent.child_by_field_name("operator"))
            if op == "&&":  # `stats && stats.isFile()`; `x ?? dflt` / `x || dflt` are defaults, not tests
                return parent.child_by_field_name("left") == node
            if op in ("==", "!=", "===", "!=="):
                other = parent.child_by_field_name("right" if parent.child_by_field_name("left") == node else "left")
                return other is not None and ctx.text(other) in ("null", "undefined")
            return False
        if t == "arguments":
            call = parent.parent
            return call is not None and ctx.text(call.child_by_field_name("function")) == "Array.isArray"
        return False

    def _errors_never_passed(self, call, callback) -> bool:
        """The final callback of an async-style helper (``eachLimit(items,
        (x, next) => { ...; next(); }, (err) => ...)``) whose iterator only
        ever calls its callback without an error: ``err`` is always empty."""
        ctx = self.ctx
        args = call.child_by_field_name("arguments")
        others = [a for a in (args.named_children if args is not None else ())
                  if a.type in FUNCTION_TYPES and a != callback and a.start_byte < callback.start_byte]
        if not others:
            return False
        for it in others:
            params = ctx.param_names(it)
            if not params or not params[-1]:
                return False
            nxt = params[-1]
            body = it.child_by_field_name("body")
            refs = ctx.references(nxt, body) if body is not None else []
            if not refs:
                return False
            for ref in refs:
                parent = ref.parent
                if parent is not None and parent.type == "arguments" and parent.named_children[0] == ref and \
                        ctx.text(parent.parent.child_by_field_name("function")) in DEFERRERS:
                    continue  # process.nextTick(next): called with no arguments
                if parent is None or parent.type != "call_expression" or parent.child_by_field_name("function") != ref:
                    return False  # passed along (`fs.stat(p, next)`): errors can reach it
                cargs = [a for a in parent.child_by_field_name("arguments").named_children if a.type != "comment"]
                if cargs and ctx.text(cargs[0]) not in ("null", "undefined", "false"):
                    return False
        return True

    # -------------------------------------------------------------- read?
    def _reads(self, fn, name) -> bool:
        """Is ``name`` read anywhere in ``fn``'s body (not counting nested
        functions that declare their own ``name``)? ``arguments`` counts."""
        ctx = self.ctx
        body = fn.child_by_field_name("body")
        if body is None:
            return True
        if fn.type != "arrow_function" and re.search(rb"(?<![\w$.])arguments(?![\w$])",
                                                     ctx.source[body.start_byte:body.end_byte]):
            return True
        pattern = re.compile(rb"(?<![\w$])" + re.escape(name.encode()) + rb"(?![\w$])")
        if not pattern.search(ctx.source, body.start_byte, body.end_byte):
            return False
        stack = [body]
        while stack:
            node = stack.pop()
            t = node.type
            if t in ALL_FUNCTION_TYPES and name in ctx.param_names(node):
                continue  # shadowed
            if t in ("identifier", "shorthand_property_identifier") and ctx.text(node) == name:
                parent = node.parent
                # `err = x` as an assignment target is not a read
                if parent is not None and parent.type == "assignment_expression" and \
                        parent.child_by_field_name("left") == node:
                    pass
                else:
                    return True
            stack.extend(node.named_children)
        return False
