/* Backpropagation of a sigmoid network with the quadratic cost, checked by symgrad.
   Reads symgrad's CSV test vectors (case,kind,name,index,value) on standard input and
   writes its gradients as CSV results on standard output:
     symgrad vectors --widths 3,4,2 --samples-in-loss 2 --format csv -o vectors.csv
     cc -O2 -o backprop backprop.c -lm && ./backprop < vectors.csv > results.csv && symgrad verify vectors.csv results.csv
   -DFLIP_SIGN builds a wrong variant (dC/da_L = y - a_L): verify then exits 1. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define ML 16 /* layers */
#define MN 64 /* units of a layer */
#define MS 16 /* samples */
#ifdef FLIP_SIGN /* the wrong variant: dC/da_L = y - a_L */
#define SIGN -1
#else
#define SIGN 1
#endif
static double W[ML + 1][MN][MN], b[ML + 1][MN], x[MS][MN], y[MS][MN];
static double z[ML + 1][MN], a[ML + 1][MN], d[ML + 1][MN], gW[ML + 1][MN][MN], gb[ML + 1][MN];
static int n[ML + 1], L, N, scalar; /* scalar: a chain, whose vectors name w_l, b_l, a_0 */

static double sigmoid(double t) { double e = exp(-fabs(t)); return t >= 0 ? 1 / (1 + e) : e / (1 + e); }
static double sigmoid_prime(double t) { double e = exp(-fabs(t)); return e / ((1 + e) * (1 + e)); }

static void backprop(int c) { /* δ_L = (a_L − y) σ'(z_L), δ_l = (W_{l+1}ᵀ δ_{l+1}) σ'(z_l) */
  memset(gW, 0, sizeof gW); memset(gb, 0, sizeof gb);
  for (int s = 0; s < N; s++) {
    memcpy(a[0], x[s], sizeof a[0]);
    for (int l = 1; l <= L; l++)
      for (int j = 0; j < n[l]; j++) {
        z[l][j] = b[l][j];
        for (int k = 0; k < n[l - 1]; k++) z[l][j] += W[l][j][k] * a[l - 1][k];
        a[l][j] = sigmoid(z[l][j]);
      }
    for (int j = 0; j < n[L]; j++) d[L][j] = SIGN * (a[L][j] - y[s][j]) * sigmoid_prime(z[L][j]);
    for (int l = L; l >= 1; l--) {
      for (int j = 0; j < n[l]; j++) {
        gb[l][j] += d[l][j];
        for (int k = 0; k < n[l - 1]; k++) gW[l][j][k] += d[l][j] * a[l - 1][k];
      }
      for (int k = 0; l > 1 && k < n[l - 1]; k++) {
        double r = 0;
        for (int j = 0; j < n[l]; j++) r += W[l][j][k] * d[l][j];
        d[l - 1][k] = r * sigmoid_prime(z[l - 1][k]);
      }
    }
  }
  for (int l = L; l >= 1; l--)
    for (int j = 0; j < n[l]; j++) {
      if (scalar) { printf("%d,gradient,b_%d,,%.17g\n%d,gradient,w_%d,,%.17g\n", c, l, gb[l][0], c, l, gW[l][0][0]); continue; }
      printf("%d,gradient,b_%d,%d,%.17g\n", c, l, j, gb[l][j]);
      for (int k = 0; k < n[l - 1]; k++) printf("%d,gradient,W_%d,%d;%d,%.17g\n", c, l, j, k, gW[l][j][k]);
    }
}

int main(void) {
  char line[4096], kind[16], name[16], index[32];
  int c, last = -1, i, j, l, at;
  printf("case,kind,name,index,value\n");
  while (fgets(line, sizeof line, stdin)) {
    if (sscanf(line, "%d,%15[^,],%15[^,],%n", &c, kind, name, &at) != 3) continue;
    if (strcmp(kind, "input") && strcmp(kind, "parameter")) continue; /* meta, cost, gradient */
    if (c != last && last >= 0) backprop(last);
    if (c != last) { memset(n, 0, sizeof n); L = N = 0; last = c; }
    i = j = 0; index[0] = 0; /* the index: empty for a number, i or i;j */
    if (line[at] != ',') sscanf(line + at, "%31[^,]", index);
    scalar = !index[0];
    sscanf(index, "%d;%d", &i, &j);
    double v = strtod(strchr(line + at, ',') + 1, NULL);
    if (i >= MN || j >= MN || (sscanf(name + 2, "%d", &l) == 1 && l > ML)) { fprintf(stderr, "network too large\n"); return 2; }
    if (!strcmp(name, "x") || !strcmp(name, "a_0")) { x[i][j] = v; N = i + 1 > N ? i + 1 : N; n[0] = j + 1 > n[0] ? j + 1 : n[0]; }
    else if (!strcmp(name, "y")) y[i][j] = v;
    else if (name[0] == 'W' || name[0] == 'w') W[l][i][j] = v;
    else if (name[0] == 'b') { b[l][i] = v; n[l] = i + 1 > n[l] ? i + 1 : n[l]; L = l > L ? l : L; }
  }
  if (last >= 0) backprop(last);
  return 0;
}
