// Render formulas with KaTeX, throwOnError on: reads a JSON list of {tex, display} on
// stdin, prints a JSON list of {index, tex, error} for every formula KaTeX rejects.
// KaTeX is installed next to this script: npm install --no-save --no-package-lock --prefix tests katex@0.16.22
"use strict";
const katex = require("katex");
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const formulas = JSON.parse(input);
  const errors = [];
  formulas.forEach((f, index) => {
    try {
      katex.renderToString(f.tex, { displayMode: !!f.display, throwOnError: true, strict: "error" });
    } catch (e) {
      errors.push({ index, tex: f.tex, error: String(e.message || e) });
    }
  });
  process.stdout.write(JSON.stringify({ version: katex.version, rendered: formulas.length, errors }));
});
