/**
 * The small dense linear algebra of the least-squares fitter: Householder QR of a tall m x n
 * matrix (Golub and Van Loan, Matrix Computations, 4th ed., Algorithm 5.2.1), triangular solves,
 * and the symmetric eigen-decomposition by cyclic Jacobi rotations (GVL Algorithm 8.5.3) for the
 * conditioning of J^T J. n is the number of fitted values (tens at most), m the residuals.
 * Matrices are row-major Float64Arrays.
 */

export interface QR {
  /** R: n x n upper triangular, row-major. */
  readonly R: Float64Array;
  /** Q^T b for the right-hand side given to qr() (length m; the first n entries are Q1^T b). */
  readonly qtb: Float64Array;
}

/** QR of A (m x n, m >= n), with Q^T b; A and b are not changed. */
export function qr(A: Float64Array, m: number, n: number, b: Float64Array): QR {
  const a = Float64Array.from(A);
  const qtb = Float64Array.from(b);
  const v = new Float64Array(m);
  for (let k = 0; k < n && k < m; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm = Math.hypot(norm, a[i * n + k]);
    if (norm === 0) continue;
    const alpha = a[k * n + k] > 0 ? -norm : norm;
    for (let i = k; i < m; i++) v[i] = a[i * n + k];
    v[k] -= alpha;
    let vv = 0;
    for (let i = k; i < m; i++) vv += v[i] * v[i];
    if (vv === 0) continue;
    for (let j = k; j < n; j++) {
      let s = 0;
      for (let i = k; i < m; i++) s += v[i] * a[i * n + j];
      const f = (2 * s) / vv;
      for (let i = k; i < m; i++) a[i * n + j] -= f * v[i];
    }
    let s = 0;
    for (let i = k; i < m; i++) s += v[i] * qtb[i];
    const f = (2 * s) / vv;
    for (let i = k; i < m; i++) qtb[i] -= f * v[i];
  }
  const R = new Float64Array(n * n);
  for (let i = 0; i < n && i < m; i++) for (let j = i; j < n; j++) R[i * n + j] = a[i * n + j];
  return { R, qtb };
}

/** Solves R x = b (R n x n upper triangular); a zero pivot gives x_i = 0 (the minimum-norm choice for that column). */
export function solveUpper(R: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let j = i + 1; j < n; j++) s -= R[i * n + j] * x[j];
    const d = R[i * n + i];
    x[i] = d === 0 ? 0 : s / d;
  }
  return x;
}

/** R^-1 (n x n upper triangular), or null if a diagonal entry is zero. */
export function invertUpper(R: Float64Array, n: number): Float64Array | null {
  const X = new Float64Array(n * n);
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    if (R[j * n + j] === 0) return null;
    e.fill(0);
    e[j] = 1;
    const col = solveUpper(R, n, e);
    for (let i = 0; i < n; i++) X[i * n + j] = col[i];
  }
  return X;
}

/** Eigenvalues (ascending) and eigenvectors (columns of V, row-major) of a symmetric n x n matrix. */
export function symmetricEigen(S: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(S);
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    if (off === 0 || !Number.isFinite(off)) break;
    let diag = 0;
    for (let p = 0; p < n; p++) diag += a[p * n + p] ** 2;
    if (off <= 1e-32 * diag) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p];
          const vkq = V[k * n + q];
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[i * n + i] - a[j * n + j]);
  const values = Float64Array.from(order, (i) => a[i * n + i]);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    for (let k = 0; k < n; k++) vectors[k * n + dst] = V[k * n + src];
  });
  return { values, vectors };
}
