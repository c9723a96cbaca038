#!/usr/bin/env node
// Backpropagation of a sigmoid network with the quadratic cost, checked by symgrad.
// Reads symgrad's CSV test vectors (case,kind,name,index,value) on standard input and
// writes its gradients as CSV results on standard output:
//   symgrad vectors --widths 3,4,2 --samples-in-loss 2 --format csv -o vectors.csv
//   node backprop.js < vectors.csv > results.csv && symgrad verify vectors.csv results.csv
// SYMGRAD_FLIP_SIGN=1 runs a wrong variant (dC/da_L = y - a_L): verify then exits 1.
"use strict";
const SIGN = process.env.SYMGRAD_FLIP_SIGN === "1" ? -1 : 1;
const sigmoid = (t) => { const e = Math.exp(-Math.abs(t)); return t >= 0 ? 1 / (1 + e) : e / (1 + e); };
const sigmoidPrime = (t) => { const e = Math.exp(-Math.abs(t)); return e / ((1 + e) * (1 + e)); };
const put = (m, i, j, v) => { (m[i] = m[i] || [])[j] = v; };

// δ_L = (a_L − y) σ'(z_L), δ_l = (W_{l+1}ᵀ δ_{l+1}) σ'(z_l); ∂C/∂b_l = Σ δ_l, ∂C/∂W_l = Σ δ_l a_{l-1}ᵀ
function backprop(c, k) {
  const L = k.b.length - 1, gW = [], gb = [];
  for (let l = 1; l <= L; l++) {
    gW[l] = k.W[l].map((row) => row.map(() => 0));
    gb[l] = k.b[l].map(() => 0);
  }
  k.x.forEach((x, s) => {
    const a = [x], z = [null];
    for (let l = 1; l <= L; l++) {
      z[l] = k.b[l].map((b, j) => k.W[l][j].reduce((t, w, i) => t + w * a[l - 1][i], b));
      a[l] = z[l].map(sigmoid);
    }
    let d = a[L].map((v, j) => SIGN * (v - k.y[s][j]) * sigmoidPrime(z[L][j]));
    for (let l = L; l >= 1; l--) {
      d.forEach((dj, j) => {
        gb[l][j] += dj;
        a[l - 1].forEach((ai, i) => { gW[l][j][i] += dj * ai; });
      });
      if (l > 1) {
        d = a[l - 1].map((_, i) =>
          d.reduce((t, dj, j) => t + k.W[l][j][i] * dj, 0) * sigmoidPrime(z[l - 1][i]));
      }
    }
  });
  const rows = [];
  for (let l = L; l >= 1; l--) {
    gb[l].forEach((g, j) => {
      if (k.scalar) { rows.push(`${c},gradient,b_${l},,${g}`, `${c},gradient,w_${l},,${gW[l][0][0]}`); return; }
      rows.push(`${c},gradient,b_${l},${j},${g}`);
      gW[l][j].forEach((gw, i) => rows.push(`${c},gradient,W_${l},${j};${i},${gw}`));
    });
  }
  return rows;
}

const cases = new Map();
for (const line of require("fs").readFileSync(0, "utf8").split("\n")) {
  const [c, kind, name, index, value] = line.split(",");
  if (kind !== "input" && kind !== "parameter") continue; // meta, cost, gradient rows
  if (!cases.has(c)) cases.set(c, { x: [], y: [], W: [], b: [], scalar: index === "" });
  const k = cases.get(c), [i, j] = index === "" ? [0, 0] : index.split(";").map(Number);
  const v = Number(value), l = Number(name.slice(2));
  if (name === "x" || name === "a_0") put(k.x, i, j || 0, v);
  else if (name === "y") put(k.y, i, j || 0, v);
  else if (name[0] === "W" || name[0] === "w") { k.W[l] = k.W[l] || []; put(k.W[l], i, j || 0, v); }
  else if (name[0] === "b") { k.b[l] = k.b[l] || []; k.b[l][i] = v; }
}
const out = ["case,kind,name,index,value"];
for (const [c, k] of cases) out.push(...backprop(c, k));
process.stdout.write(out.join("\n") + "\n");
