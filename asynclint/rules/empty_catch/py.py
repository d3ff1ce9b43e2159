"""empty-catch for Python.

An ``except`` (or ``except*``) clause whose body is only ``pass`` and/or
``...``, bare ``except:`` included. A comment inside the clause that says why
(on the ``except`` line, above or beside the ``pass``) counts as content when
the option ``allow-comment`` is on (the default); TODO/FIXME/XXX, empty
comments and tool directives (``# noqa``, ``# pragma: no cover``,
``# type: ignore``, ``# pylint: ...``, asynclint's own ``# expect: <id>``
fixture markers) do not explain anything; text after a directive may.

Not reported either, because the empty clause is control flow rather than a
failure being hidden: ``StopIteration`` / ``StopAsyncIteration`` /
``GeneratorExit`` / ``KeyboardInterrupt`` / ``SystemExit`` and other
``...Exit`` exceptions (an iteration that ended, a Ctrl-C or a shutdown
signal such as aiohttp's ``GracefulExit`` ending a program quietly); a
module-private exception class (``_ResponseSent``, defined in the same file:
a signal the module raises and catches itself); a narrow clause around a
``while True:`` loop without ``break`` (the exception is how the loop ends,
as in ``try: while True: yield await ws.receive_text() except
WebSocketDisconnect: pass``); a ``try`` with an ``else:`` branch (the ``else`` is
the success path, ``pass`` the fallback) unless the clause is broad;
``ImportError`` / ``ModuleNotFoundError`` around an import (an optional
module); a narrow clause in a loop whose ``try`` ends with
``return``/``break``/``continue`` (a search: "not this one, try the next").

With ``allow-narrow`` on, a clause that names specific exception types (not
``Exception`` / ``BaseException`` / bare) is reported as info instead of a
warning. ``contextlib.suppress(...)`` is the explicit way to ignore an error
and is never reported.
"""

from __future__ import annotations

import re

import libcst as cst

from ...findings import Severity
from ...python.context import last_name, walk
from ...python.rule import PyRule
from . import META

PLACEHOLDER_COMMENT = re.compile(r"^\s*(todo|fixme|xxx)\b|^\s*$", re.IGNORECASE)
# Tool directives say nothing about why; what is left after removing them may.
PRAGMA = re.compile(
    r"noqa(?::\s*[A-Z]+\d+(?:\s*,\s*[A-Z]+\d+)*)?|type:\s*ignore(?:\[[^\]]*\])?|pragma:\s*no\s*(?:cover|branch)"
    r"|pylint:\s*disable=[\w,-]+|pyright:\s*ignore(?:\[[^\]]*\])?|mypy:\s*\S+|nosec|fmt:\s*\w+"
    r"|isort:\s*\w+|ruff:\s*\S+|asynclint:\s*ignore(?:-file)?(?:\[[^\]]*\])?"
    r"|expect:\s*[a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*",  # asynclint's own fixture markers
    re.IGNORECASE,
)
BROAD = frozenset({"builtins.Exception", "builtins.BaseException"})
BROAD_NAMES = frozenset({"Exception", "BaseException"})
# Exceptions that signal something other than a failure.
NOT_FAILURES = frozenset({"StopIteration", "StopAsyncIteration", "GeneratorExit", "KeyboardInterrupt"})
IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})


class Check(PyRule):
    meta = META

    def __init__(self, ctx):
        super().__init__(ctx)
        self._classes = None
    TRIGGER = re.compile(r"\bexcept\b")

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._check(node, star=False)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._check(node, star=True)

    def _check(self, node, star: bool) -> None:
        body = node.body
        statements = self._small_statements(body)
        if statements is None or not all(self._is_nothing(s) for s in statements):
            return
        if self.options.get("allow-comment", True) and self._explained(body):
            return
        if self._idiom(node):
            return
        caught = node.type
        keyword = "except*" if star else "except"
        if caught is None:
            what = "`except:` with an empty body"
            why = ("it swallows every error, including KeyboardInterrupt, SystemExit and "
                   "asyncio.CancelledError, so the task can no longer be cancelled")
            narrow = False
        else:
            text = " ".join(self.ctx.module.code_for_node(caught).split())
            what = f"`{keyword} {text}:` with an empty body"
            broad = self._broad(caught)
            narrow = not broad
            if broad == "builtins.BaseException":
                why = ("it swallows every error, asyncio.CancelledError included, so the task can no longer "
                       "be cancelled")
            elif broad:
                why = "every error in the `try` block disappears without a trace"
            else:
                why = "the error disappears without a trace"
        advice = "Handle it, log it (`logger.exception(...)`), re-raise it, or say in a comment why it is safe to ignore"
        if narrow:
            advice += "; `with contextlib.suppress(...):` states the intent in code"
        severity = Severity.INFO if narrow and self.options.get("allow-narrow", False) else None
        self.report(node, f"{what}: {why}. {advice}.", severity=severity)

    def _idiom(self, handler) -> bool:
        """Empty handlers that are control flow, not a swallowed failure."""
        caught = handler.type
        if caught is None:
            return False
        names = [last_name(el.value) for el in caught.elements] if isinstance(caught, cst.Tuple) \
            else [last_name(caught)]
        if any(n is None for n in names):
            return False
        if all(n in NOT_FAILURES or n.endswith("Exit") for n in names):
            # the end of an iteration, or a Ctrl-C / SystemExit / aiohttp's
            # GracefulExit that should end the program quietly
            return True
        if all(n.startswith("_") for n in names) and all(n in self._module_classes() for n in names):
            return True  # a module-private exception class: a signal this module raises and catches itself
        try_node = self.ctx.parent(handler)
        if not isinstance(try_node, (cst.Try, cst.TryStar)):
            return False
        if not any(n in BROAD_NAMES for n in names) and self._endless_loop(try_node):
            return True  # `try: while True: ... except Disconnect: pass`: the exception is how the loop ends
        if try_node.orelse is not None and not any(n in BROAD_NAMES for n in names):
            return True  # try/except/else: the `else` branch is the success path, `pass` the other
        if all(n in IMPORT_ERRORS for n in names) and any(
                isinstance(n, (cst.Import, cst.ImportFrom)) for n in walk(try_node.body, (cst.FunctionDef, cst.ClassDef))):
            return True  # probing for an optional module
        if not any(n in BROAD_NAMES for n in names) and self._search_loop(try_node):
            return True  # `for m in maps: try: return m[k] except KeyError: pass`: try the next one
        return False

    def _module_classes(self) -> frozenset:
        if self._classes is None:
            self._classes = frozenset(stmt.name.value for stmt in self.ctx.module.body
                                      if isinstance(stmt, cst.ClassDef))
        return self._classes

    @staticmethod
    def _endless_loop(try_node) -> bool:
        """The try's body is one ``while True:`` loop without ``break``."""
        body = try_node.body.body if isinstance(try_node.body, cst.IndentedBlock) else ()
        if len(body) != 1 or not isinstance(body[0], cst.While):
            return False
        loop = body[0]
        test = loop.test
        if not ((isinstance(test, cst.Name) and test.value == "True") or
                (isinstance(test, cst.Integer) and test.value == "1")):
            return False
        return not any(isinstance(n, cst.Break) for n in walk(loop.body, (cst.For, cst.While, cst.FunctionDef,
                                                                            cst.ClassDef, cst.Lambda)))

    def _search_loop(self, try_node) -> bool:
        """The try leaves with return/break/continue, inside a loop: the
        handler's `pass` means "not this one, go on"."""
        body = try_node.body.body if isinstance(try_node.body, cst.IndentedBlock) else ()
        if not body or not isinstance(body[-1], cst.SimpleStatementLine):
            return False
        if not any(isinstance(s, (cst.Return, cst.Break, cst.Continue)) for s in body[-1].body):
            return False
        for anc in self.ctx.ancestors(try_node):
            if isinstance(anc, (cst.For, cst.While)):
                return True
            if isinstance(anc, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                return False
        return False

    @staticmethod
    def _small_statements(body):
        if isinstance(body, cst.SimpleStatementSuite):
            return list(body.body)
        if isinstance(body, cst.IndentedBlock):
            out = []
            for stmt in body.body:
                if not isinstance(stmt, cst.SimpleStatementLine):
                    return None
                out.extend(stmt.body)
            return out
        return None

    @staticmethod
    def _is_nothing(small) -> bool:
        if isinstance(small, cst.Pass):
            return True
        return isinstance(small, cst.Expr) and isinstance(small.value, cst.Ellipsis)

    def _explained(self, body) -> bool:
        comments = []
        if isinstance(body, cst.SimpleStatementSuite):
            comments.append(body.trailing_whitespace.comment)
        else:
            comments.append(body.header.comment)
            for stmt in body.body:
                comments.extend(line.comment for line in stmt.leading_lines)
                comments.append(stmt.trailing_whitespace.comment)
            comments.extend(line.comment for line in body.footer if line.indent)
        for comment in comments:
            if comment is None:
                continue
            text = PRAGMA.sub("", comment.value.lstrip("#")).strip(" -:;,.#\t")
            if not PLACEHOLDER_COMMENT.search(text):
                return True
        return False

    def _broad(self, caught):
        """The broad builtin named (Exception / BaseException), if any."""
        items = [el.value for el in caught.elements] if isinstance(caught, cst.Tuple) else [caught]
        facts = self.ctx.facts()
        for item in items:
            if last_name(item) not in ("Exception", "BaseException"):
                continue  # a narrower type, whatever module it comes from
            if isinstance(item, cst.Name) and item.value in ("Exception", "BaseException") \
                    and item.value not in facts.imports and item.value not in facts.def_names:
                return f"builtins.{item.value}"  # the builtin, unless rebound by assignment
            if isinstance(item, (cst.Name, cst.Attribute)):
                hit = self.ctx.qualnames(item) & BROAD
                if hit:
                    return "builtins.BaseException" if "builtins.BaseException" in hit else "builtins.Exception"
        return None
