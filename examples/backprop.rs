// Backpropagation of a sigmoid network with the quadratic cost, checked by symgrad.
// Reads symgrad's CSV test vectors (case,kind,name,index,value) on standard input and
// writes its gradients as CSV results on standard output (std only, no crates):
//   symgrad vectors --widths 3,4,2 --samples-in-loss 2 --format csv -o vectors.csv
//   rustc -O backprop.rs && ./backprop < vectors.csv > results.csv && symgrad verify vectors.csv results.csv
// SYMGRAD_FLIP_SIGN=1 runs a wrong variant (dC/da_L = y - a_L): verify then exits 1.
use std::io::{self, Read, Write};

type M = Vec<Vec<f64>>;
#[derive(Default)]
struct Case { x: M, y: M, w: Vec<M>, b: M, scalar: bool }

fn sigmoid(t: f64) -> f64 { let e = (-t.abs()).exp(); if t >= 0.0 { 1.0 / (1.0 + e) } else { e / (1.0 + e) } }
fn sigmoid_prime(t: f64) -> f64 { let e = (-t.abs()).exp(); e / ((1.0 + e) * (1.0 + e)) }
fn put(m: &mut M, i: usize, j: usize, v: f64) {
    if m.len() <= i { m.resize(i + 1, vec![]); }
    if m[i].len() <= j { m[i].resize(j + 1, 0.0); }
    m[i][j] = v;
}

// δ_L = (a_L − y) σ'(z_L), δ_l = (W_{l+1}ᵀ δ_{l+1}) σ'(z_l); ∂C/∂b_l = Σ δ_l, ∂C/∂W_l = Σ δ_l a_{l-1}ᵀ
fn backprop(c: &str, k: &Case, sign: f64, out: &mut String) {
    let nl = k.b.len() - 1;
    let mut gw: Vec<M> = k.w.iter().map(|m| m.iter().map(|r| vec![0.0; r.len()]).collect()).collect();
    let mut gb: M = k.b.iter().map(|r| vec![0.0; r.len()]).collect();
    for (s, x) in k.x.iter().enumerate() {
        let (mut a, mut z): (M, M) = (vec![x.clone()], vec![vec![]]);
        for l in 1..=nl {
            let zl: Vec<f64> = (0..k.b[l].len())
                .map(|j| k.w[l][j].iter().zip(&a[l - 1]).fold(k.b[l][j], |t, (w, ai)| t + w * ai)).collect();
            a.push(zl.iter().map(|&t| sigmoid(t)).collect());
            z.push(zl);
        }
        let mut d: Vec<f64> = (0..a[nl].len()).map(|j| sign * (a[nl][j] - k.y[s][j]) * sigmoid_prime(z[nl][j])).collect();
        for l in (1..=nl).rev() {
            for (j, dj) in d.iter().enumerate() {
                gb[l][j] += dj;
                for (i, ai) in a[l - 1].iter().enumerate() { gw[l][j][i] += dj * ai; }
            }
            if l > 1 {
                d = (0..a[l - 1].len())
                    .map(|i| d.iter().enumerate().fold(0.0, |t, (j, dj)| t + k.w[l][j][i] * dj) * sigmoid_prime(z[l - 1][i])).collect();
            }
        }
    }
    for l in (1..=nl).rev() {
        for j in 0..gb[l].len() {
            if k.scalar { *out += &format!("{c},gradient,b_{l},,{:e}\n{c},gradient,w_{l},,{:e}\n", gb[l][0], gw[l][0][0]); continue; }
            *out += &format!("{c},gradient,b_{l},{j},{:e}\n", gb[l][j]);
            for (i, g) in gw[l][j].iter().enumerate() { *out += &format!("{c},gradient,W_{l},{j};{i},{:e}\n", g); }
        }
    }
}

fn main() {
    let sign = if std::env::var("SYMGRAD_FLIP_SIGN").as_deref() == Ok("1") { -1.0 } else { 1.0 };
    let mut text = String::new();
    io::stdin().read_to_string(&mut text).unwrap();
    let mut cases: Vec<(String, Case)> = vec![];
    for line in text.lines() {
        let f: Vec<&str> = line.splitn(5, ',').collect();
        if f.len() < 5 || (f[1] != "input" && f[1] != "parameter") { continue; } // meta, cost, gradient
        if cases.last().map_or(true, |(c, _)| c != f[0]) { cases.push((f[0].to_string(), Case { scalar: f[3].is_empty(), ..Default::default() })); }
        let k = &mut cases.last_mut().unwrap().1;
        let ix: Vec<usize> = f[3].split(';').filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect();
        let (i, j) = (*ix.first().unwrap_or(&0), *ix.get(1).unwrap_or(&0));
        let (v, l): (f64, usize) = (f[4].parse().unwrap(), f[2].get(2..).and_then(|s| s.parse().ok()).unwrap_or(0));
        match f[2].chars().next().unwrap() {
            'x' | 'a' => put(&mut k.x, i, j, v),
            'y' => put(&mut k.y, i, j, v),
            'W' | 'w' => { if k.w.len() <= l { k.w.resize(l + 1, vec![]); } put(&mut k.w[l], i, j, v) }
            'b' => put(&mut k.b, l, i, v),
            _ => {}
        }
    }
    let mut out = String::from("case,kind,name,index,value\n");
    for (c, k) in &cases { backprop(c, k, sign, &mut out); }
    io::stdout().write_all(out.as_bytes()).unwrap();
}
