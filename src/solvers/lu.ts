/**
 * Dense LU factorisation with partial pivoting, in place, for the Newton matrices of the implicit
 * methods (I - h gamma J) and the transposed solves of their adjoints. Row-major n x n; the
 * factors overwrite the matrix (L unit lower, U upper), `pivot[k]` is the row swapped into row k
 * at elimination step k (Golub and Van Loan, Matrix Computations, 4th ed., alg. 3.4.1). Nothing
 * allocates.
 */

/** Factors A in place; returns false when a pivot is exactly zero or not finite (A singular). */
export function luFactor(A: Float64Array, n: number, pivot: Int32Array): boolean {
  for (let k = 0; k < n; k++) {
    let best = k;
    let max = Math.abs(A[k * n + k]);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(A[i * n + k]);
      if (v > max) {
        max = v;
        best = i;
      }
    }
    pivot[k] = best;
    if (!(max > 0) || !Number.isFinite(max)) return false;
    if (best !== k) {
      for (let j = 0; j < n; j++) {
        const tmp = A[k * n + j];
        A[k * n + j] = A[best * n + j];
        A[best * n + j] = tmp;
      }
    }
    const inv = 1 / A[k * n + k];
    for (let i = k + 1; i < n; i++) {
      const l = A[i * n + k] * inv;
      A[i * n + k] = l;
      if (l === 0) continue;
      for (let j = k + 1; j < n; j++) A[i * n + j] -= l * A[k * n + j];
    }
  }
  return true;
}

/** x <- A^{-1} x with the factors of luFactor. */
export function luSolve(LU: Float64Array, n: number, pivot: Int32Array, x: Float64Array): void {
  for (let k = 0; k < n; k++) {
    const p = pivot[k];
    if (p !== k) {
      const tmp = x[k];
      x[k] = x[p];
      x[p] = tmp;
    }
  }
  for (let i = 1; i < n; i++) {
    let s = x[i];
    for (let j = 0; j < i; j++) s -= LU[i * n + j] * x[j];
    x[i] = s;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i];
    for (let j = i + 1; j < n; j++) s -= LU[i * n + j] * x[j];
    x[i] = s / LU[i * n + i];
  }
}

/** x <- A^{-T} x with the factors of luFactor (P A = L U, so A^T = U^T L^T P). */
export function luSolveTransposed(LU: Float64Array, n: number, pivot: Int32Array, x: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = x[i];
    for (let j = 0; j < i; j++) s -= LU[j * n + i] * x[j];
    x[i] = s / LU[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i];
    for (let j = i + 1; j < n; j++) s -= LU[j * n + i] * x[j];
    x[i] = s;
  }
  for (let k = n - 1; k >= 0; k--) {
    const p = pivot[k];
    if (p !== k) {
      const tmp = x[k];
      x[k] = x[p];
      x[p] = tmp;
    }
  }
}
