// ESLint flat config for the benchmark: only the rules that match what
// asynclint checks (see MAPPING.md). Options are left at their defaults.
import n from "eslint-plugin-n";
import promise from "eslint-plugin-promise";
import security from "eslint-plugin-security";
import tsParser from "@typescript-eslint/parser";

// eslint-plugin-n's no-sync crashes on TypeScript files parsed without type
// information; wrap it so a crash on one node skips that node instead of
// aborting the whole run (the rule's logic and id are unchanged).
function tolerant(rule) {
  return {
    ...rule,
    create(context) {
      let listeners;
      try {
        listeners = rule.create(context);
      } catch {
        return {};
      }
      const wrapped = {};
      for (const [selector, fn] of Object.entries(listeners)) {
        wrapped[selector] = (...args) => {
          try {
            return fn(...args);
          } catch {
            return undefined;
          }
        };
      }
      return wrapped;
    },
  };
}

const nTolerant = { ...n, rules: { ...n.rules, "no-sync": tolerant(n.rules["no-sync"]) } };

const rules = {
  "no-empty": "error",
  "require-await": "error",
  "no-async-promise-executor": "error",
  "no-promise-executor-return": "error",
  "no-await-in-loop": "error",
  "max-nested-callbacks": "error",
  "promise/no-nesting": "error",
  "promise/catch-or-return": "error",
  "n/no-sync": "error",
  "n/handle-callback-err": "error",
  "security/detect-child-process": "error",
  "security/detect-non-literal-fs-filename": "error",
};
const plugins = { n: nTolerant, promise, security };

export default [
  { linterOptions: { reportUnusedDisableDirectives: "off" } },
  { files: ["**/*.js", "**/*.mjs", "**/*.cjs", "**/*.jsx"], plugins, rules },
  {
    files: ["**/*.ts", "**/*.mts", "**/*.cts", "**/*.tsx"],
    languageOptions: { parser: tsParser },
    plugins,
    rules,
  },
];
