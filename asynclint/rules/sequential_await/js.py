"""sequential-await for JavaScript/TypeScript.

Two or more adjacent statements that each await a call and bind its result
(``const user = await getUser(id);``), where no later call reads a name an
earlier one bound: each waits for the previous to finish although none needs
its result, so the latencies add up where ``Promise.all`` would overlap them.

Not reported:
- a later call that reads an earlier result (``getPosts(user.id)``);
- awaits inside a loop (each iteration's awaits are another matter);
- calls on the same receiver (``tx.query(a)`` then ``tx.query(b)``, or two
  ``this.`` methods): a transaction, connection or object may need them in
  order. A module namespace (``fsp = require('fs/promises')``, ``api =
  require('./api')``, ``import * as api``) does not count as shared;
- calls given a connection, transaction or session (an argument named
  ``client``, ``conn``, ``trx``, ``session`` ...): they run on one channel;
- groups broken by an ordering step: a sleep/delay, a lock, a connect/begin/
  start/init/login, a mkdir — names that say "this must happen first";
- bare ``await save(x);`` statements: a result nobody binds usually means a
  side effect whose order matters;
- awaiting promises already created (``await p1; await p2``): they already
  run together.

Fix (unsafe): ``const [a, b] = await Promise.all([f(), g()]);`` — both calls
start at once; if both fail, only the first rejection is seen, and a call
whose hidden dependency on the other this rule cannot see would break.
"""

from __future__ import annotations

import re

from ...findings import Edit, Fix, FixSafety
from ..base import JsRule
from . import META

DECLARATIONS = frozenset({"lexical_declaration", "variable_declaration"})
ORDERING_STEP = re.compile(
    r"^(sleep|delay|wait|timeout|setTimeout|pause|lock|unlock|acquire|release|connect|begin|start|open|init"
    r"|initialize|setup|login|logIn|signIn|authenticate|auth|migrate|listen|ready|mkdir|mkdtemp|mkdirp|ensureDir"
    r"|transaction|startTransaction|beginTransaction|commit|rollback|close|end|stop|destroy|disconnect|flush"
    r"|drain|sync|save|create|insert|update|upsert|delete|remove|write|send|publish|emit|set|put"
    r"|post|patch|exec|execute|run|spawn|kill|reset|clear|truncate|drop|register|subscribe"
    r"|prompt|ask|question|confirm|select|choose)(?=$|[A-Z_0-9])",
)
# An argument with one of these names is a connection/transaction/session:
# calls that share it run on one channel, in order.
STATEFUL_ARGUMENT = re.compile(
    r"^(client|conn|connection|tx|trx|transaction|session|queryRunner|manager|em|cursor|socket|channel|page"
    r"|browser|context|ctx|lock|mutex|txn|t|stream|reader|writer|tokenizer|input|output|parser|fd|handle|file"
    r"|rl|readline|port)$"
)


def _names_in(node, kinds):
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in kinds:
            yield n
        stack.extend(n.children)


class Check(JsRule):
    meta = META
    query = """
(lexical_declaration (variable_declarator value: (await_expression))) @sa_stmt
(variable_declaration (variable_declarator value: (await_expression))) @sa_stmt
(expression_statement (assignment_expression left: (identifier) right: (await_expression))) @sa_stmt
"""

    def __init__(self, ctx):
        super().__init__(ctx)
        self._stmts: list = []

    def on_match(self, caps):
        self._stmts.append(caps["sa_stmt"][0])

    # ------------------------------------------------------------ grouping
    def finish(self):
        if not self._stmts:
            return
        by_id = {}
        for s in self._stmts:
            info = self._candidate(s)
            if info is not None:
                by_id[s.id] = info
        done = set()
        for s in sorted(self._stmts, key=lambda n: n.start_byte):
            if s.id in done or s.id not in by_id:
                continue
            run = [s]
            nxt = self._next_statement(s)
            while nxt is not None and nxt.id in by_id:
                run.append(nxt)
                nxt = self._next_statement(nxt)
            done.update(n.id for n in run)
            self._report_groups(run, by_id)

    def _next_statement(self, stmt):
        sib = stmt.next_named_sibling
        while sib is not None and sib.type == "comment":
            sib = sib.next_named_sibling
        return sib

    def _candidate(self, stmt):
        """(bound names, names read, receiver, call, keyword, await node) for a
        statement that awaits one call and binds its result; else None."""
        ctx = self.ctx
        if stmt.type in DECLARATIONS:
            decls = [c for c in stmt.named_children if c.type == "variable_declarator"]
            if len(decls) != 1:
                return None
            decl = decls[0]
            target = decl.child_by_field_name("name")
            value = decl.child_by_field_name("value")
            keyword = ctx.text(stmt.children[0])
            typed = decl.child_by_field_name("type") is not None
        else:
            assign = stmt.named_children[0]
            target = assign.child_by_field_name("left")
            value = assign.child_by_field_name("right")
            keyword, typed = "", False
        if target is None or value is None or value.type != "await_expression":
            return None
        call = value.named_children[0] if value.named_children else None
        if call is None or call.type != "call_expression":
            return None
        if ctx.in_loop(stmt):
            return None
        bound = {ctx.text(n) for n in _names_in(target, ("identifier", "shorthand_property_identifier_pattern"))}
        if target.type == "object_pattern":  # `{ a: b }` binds b, not a
            bound = {ctx.text(n) for n in _names_in(target, ("identifier", "shorthand_property_identifier_pattern"))
                     if not (n.parent is not None and n.parent.type == "pair_pattern"
                             and n.parent.child_by_field_name("key") == n)}
        reads = {ctx.text(n) for n in _names_in(call, ("identifier", "shorthand_property_identifier", "this"))}
        callee = call.child_by_field_name("function")
        name, receiver = self._callee_parts(callee)
        args = call.child_by_field_name("arguments")
        stateful = any(STATEFUL_ARGUMENT.match(ctx.text(a)) for a in (args.named_children if args is not None else ())
                       if a.type == "identifier")
        return {
            "stateful": stateful,
            "bound": bound, "reads": reads, "receiver": receiver, "name": name, "call": call,
            "keyword": keyword, "typed": typed, "target": target,
            "nested_await": any(True for _ in _names_in(call, ("await_expression",))),
        }

    def _callee_parts(self, callee):
        """(last name, receiver root or None) of a callee."""
        ctx = self.ctx
        if callee is None:
            return "", None
        if callee.type == "identifier":
            return ctx.text(callee), None
        if callee.type == "member_expression":
            prop = callee.child_by_field_name("property")
            root = callee.child_by_field_name("object")
            while root is not None and root.type in ("member_expression", "call_expression", "subscript_expression",
                                                     "parenthesized_expression", "non_null_expression"):
                if root.type == "call_expression":
                    root = root.child_by_field_name("function")
                elif root.type in ("parenthesized_expression", "non_null_expression"):
                    root = root.named_children[0] if root.named_children else None
                else:
                    root = root.child_by_field_name("object")
            receiver = ctx.text(root) if root is not None else "?"
            ref = ctx.bindings.get(receiver) if root is not None and root.type == "identifier" else None
            if ref is not None and ref.attrs in ((), ("promises",), ("default",)):
                receiver = None  # a module namespace (`fsp`, `api = require('./api')`): no shared state
            return (ctx.text(prop) if prop is not None else ""), receiver
        return "", "?"

    def _report_groups(self, run, by_id):
        group = []
        for stmt in run:
            info = by_id[stmt.id]
            if ORDERING_STEP.match(info["name"] or "") or info["stateful"]:
                self._maybe_report(group, by_id)
                group = []
                continue
            if group and self._depends(info, [by_id[g.id] for g in group]):
                self._maybe_report(group, by_id)
                group = []
            group.append(stmt)
        self._maybe_report(group, by_id)

    @staticmethod
    def _depends(info, earlier) -> bool:
        for prev in earlier:
            if info["reads"] & prev["bound"] or info["bound"] & prev["bound"]:
                return True
            if info["receiver"] is not None and info["receiver"] == prev["receiver"]:
                return True
            # the later call touches the object the earlier one was called on
            if prev["receiver"] not in (None, "?") and prev["receiver"] in info["reads"]:
                return True
            # the later call is made on an object the earlier call was given
            if info["receiver"] not in (None, "?") and info["receiver"] in prev["reads"]:
                return True
            if info["receiver"] == "?" or prev["receiver"] == "?":
                return True
        return False

    # ------------------------------------------------------------ reporting
    def _maybe_report(self, group, by_id):
        if len(group) < 2:
            return
        ctx = self.ctx
        infos = [by_id[s.id] for s in group]
        labels = [self._label(i["call"]) for i in infos]
        listed = ", ".join(labels[:-1]) + " and " + labels[-1]
        names = ", ".join(ctx.text(i["target"]) for i in infos)
        total = "these latencies add up"
        self.report(
            group[0],
            f"{listed} are awaited one after another, but none uses another's result: each waits for the "
            f"previous one to finish and {total}. Start them together: "
            f"`const [{names}] = await Promise.all([...])`.",
            fix=self._fix(group, infos),
        )

    def _label(self, call) -> str:
        text = self.ctx.text(call)
        if len(text) <= 40 and "\n" not in text:
            return f"`{text}`"
        callee = call.child_by_field_name("function")
        if callee is not None and len(self.ctx.text(callee)) <= 40:
            return f"`{self.ctx.text(callee)}(...)`"
        prop = callee.child_by_field_name("property") if callee is not None else None
        return f"`….{self.ctx.text(prop)}(...)`" if prop is not None else "a call"

    def _fix(self, group, infos):
        ctx = self.ctx
        keywords = {i["keyword"] for i in infos}
        if len(keywords) != 1 or any(i["typed"] or i["nested_await"] for i in infos):
            return None
        if "Promise" in ctx.bindings or "Promise" in ctx.functions:
            return None
        # No comments between the statements (they would be lost).
        for a, b in zip(group, group[1:]):
            if a.next_named_sibling != b:
                return None
        keyword = keywords.pop()
        line, col = ctx.position(group[0])[:2]
        end_line, end_col = ctx.position(group[-1])[2:]
        indent = " " * (col - 1)
        targets = ", ".join(ctx.text(i["target"]) for i in infos)
        calls = "".join(f"{indent}  {ctx.text(i['call'])},\n" for i in infos)
        head = f"{keyword} [{targets}]" if keyword else f"[{targets}]"
        text = f"{head} = await Promise.all([\n{calls}{indent}]);"
        return Fix("Run the calls together with `Promise.all`", (Edit(line, col, end_line, end_col, text),),
                   FixSafety.UNSAFE)
