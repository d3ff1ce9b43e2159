"""empty-catch for JavaScript/TypeScript.

``catch {}`` blocks and ``.catch(() => {})`` / ``.then(ok, () => {})`` handlers
with nothing in them. A comment that explains the choice counts as content
(option ``allow-comment``, default true); TODO/FIXME and empty comments do not.
"""

from __future__ import annotations

import re

from ..base import JsRule
from . import META

PLACEHOLDER_COMMENT = re.compile(r"^\s*(todo|fixme|xxx)\b|^\s*$", re.IGNORECASE)
FUNCTION_TYPES = ("arrow_function", "function_expression", "function")


class Check(JsRule):
    meta = META
    query = """
(catch_clause body: (statement_block) @catch_body) @catch
"""
    member_calls = frozenset({"catch", "then"})

    def on_call(self, call, name, member):
        args = call.child_by_field_name("arguments")
        if args is not None and args.type == "arguments":
            self.on_match({"method": [name], "args": [args], "call": [call]})

    def on_match(self, caps):
        if "catch" in caps:
            body = caps["catch_body"][0]
            if self._is_empty(body):
                self.report(
                    caps["catch"][0],
                    "Empty catch block: the error is swallowed and nobody will know it happened. "
                    "Handle it, log it and rethrow, or say in a comment why ignoring it is safe.",
                )
            return
        method = self.ctx.text(caps["method"][0])
        args = [a for a in caps["args"][0].named_children if a.type != "comment"]
        handler = None
        if method == "catch" and len(args) == 1:
            handler = args[0]
        elif method == "then" and len(args) == 2:
            handler = args[1]
        if handler is None or handler.type not in FUNCTION_TYPES:
            return
        body = handler.child_by_field_name("body")
        if body is not None and body.type == "statement_block" and self._is_empty(body):
            where = "passed to `.catch()`" if method == "catch" else "passed as the second argument of `.then()`"
            self.report(
                handler,
                f"Empty rejection handler {where}: the error is swallowed. "
                "Log or handle it, or explain in a comment why it is safe to ignore.",
            )

    def _is_empty(self, block) -> bool:
        allow_comment = self.ctx.options.get("empty-catch", {}).get("allow-comment", True)
        # The TypeScript grammar attaches a comment that follows `}` on the
        # same line to the block: only what precedes the closing brace counts.
        close = next((c for c in reversed(block.children) if c.type == "}"), None)
        for child in block.named_children:
            if close is not None and child.start_byte >= close.end_byte:
                continue
            if child.type != "comment":
                return False
            if allow_comment and not PLACEHOLDER_COMMENT.match(self._comment_text(child)):
                return False
        return True

    def _comment_text(self, node) -> str:
        text = self.ctx.text(node)
        if text.startswith("//"):
            return text[2:]
        return text[2:-2].strip("* \n\t")
