/**
 * Float64Array kernels the cells are written with. Matrices are row-major with the batch
 * (m) as the fast axis: a (rows, m) matrix M has M(i, j) = M[i * m + j].
 *
 * Weight matrices are addressed as a column block of a row-major matrix, so that
 * W·[a_prev; x] is computed as W[:, :n_a]·a_prev + W[:, n_a:]·x without building the
 * concatenation: `W` with leading dimension `ldw` (its row length) and first column `k0`.
 *
 * Nothing here allocates; every kernel accumulates into or overwrites a caller's buffer.
 */

/** C (rows, m) += W[:, k0:k0+kn] · B (kn, m). */
export function mulAdd(
  C: Float64Array, W: Float64Array, ldw: number, k0: number, rows: number, kn: number,
  B: Float64Array, m: number,
): void {
  for (let i = 0; i < rows; i++) {
    const ci = i * m;
    const wi = i * ldw + k0;
    for (let k = 0; k < kn; k++) {
      const w = W[wi + k];
      const bk = k * m;
      for (let j = 0; j < m; j++) C[ci + j] += w * B[bk + j];
    }
  }
}

/** C (kn, m) += W[:, k0:k0+kn]ᵀ · D (rows, m). */
export function mulTAdd(
  C: Float64Array, W: Float64Array, ldw: number, k0: number, rows: number, kn: number,
  D: Float64Array, m: number,
): void {
  for (let i = 0; i < rows; i++) {
    const di = i * m;
    const wi = i * ldw + k0;
    for (let k = 0; k < kn; k++) {
      const w = W[wi + k];
      const ck = k * m;
      for (let j = 0; j < m; j++) C[ck + j] += w * D[di + j];
    }
  }
}

/** G[:, k0:k0+kn] += D (rows, m) · B (kn, m)ᵀ, G row-major with leading dimension ldg. */
export function outerAdd(
  G: Float64Array, ldg: number, k0: number, D: Float64Array, rows: number,
  B: Float64Array, kn: number, m: number,
): void {
  for (let i = 0; i < rows; i++) {
    const di = i * m;
    const gi = i * ldg + k0;
    for (let k = 0; k < kn; k++) {
      const bk = k * m;
      let s = 0;
      for (let j = 0; j < m; j++) s += D[di + j] * B[bk + j];
      G[gi + k] += s;
    }
  }
}

/** Z (rows, m) = b (rows, 1) broadcast over the batch. */
export function fillBias(Z: Float64Array, b: Float64Array, rows: number, m: number): void {
  for (let i = 0; i < rows; i++) Z.fill(b[i], i * m, (i + 1) * m);
}

/** db (rows, 1) += Σ_j D(i, j): a bias gradient summed over the batch. */
export function rowSumAdd(db: Float64Array, D: Float64Array, rows: number, m: number): void {
  for (let i = 0; i < rows; i++) {
    let s = 0;
    const di = i * m;
    for (let j = 0; j < m; j++) s += D[di + j];
    db[i] += s;
  }
}

/** Logistic sigmoid that never overflows: finite and NaN-free for any finite z. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** In place: Z = σ(Z) over n entries starting at off. */
export function sigmoidInPlace(Z: Float64Array, off: number, n: number): void {
  for (let k = off; k < off + n; k++) Z[k] = sigmoid(Z[k]);
}

/** In place: Z = tanh(Z) over n entries starting at off. */
export function tanhInPlace(Z: Float64Array, off: number, n: number): void {
  for (let k = off; k < off + n; k++) Z[k] = Math.tanh(Z[k]);
}

/**
 * In place softmax over axis 0 of a (rows, m) matrix: every column sums to 1.
 * Subtracts the column max first, so it is finite for any finite logits.
 */
export function softmaxColumns(Z: Float64Array, rows: number, m: number): void {
  for (let j = 0; j < m; j++) {
    let max = -Infinity;
    for (let i = 0; i < rows; i++) if (Z[i * m + j] > max) max = Z[i * m + j];
    let s = 0;
    for (let i = 0; i < rows; i++) {
      const e = Math.exp(Z[i * m + j] - max);
      Z[i * m + j] = e;
      s += e;
    }
    for (let i = 0; i < rows; i++) Z[i * m + j] /= s;
  }
}

/** log softmax(z)[label] for column j of a (rows, m) logits matrix, computed stably. */
export function logSoftmaxAt(Z: Float64Array, rows: number, m: number, j: number, label: number): number {
  let max = -Infinity;
  for (let i = 0; i < rows; i++) if (Z[i * m + j] > max) max = Z[i * m + j];
  let s = 0;
  for (let i = 0; i < rows; i++) s += Math.exp(Z[i * m + j] - max);
  return Z[label * m + j] - max - Math.log(s);
}
