/**
 * The products in plain TypeScript: the fallback where WebAssembly SIMD is missing, the oracle
 * the SIMD kernel (src/exec/wasm/) is tested against, and what small products run on
 * (src/exec/kernels.ts picks). Same signatures and bits as the SIMD ones.
 */

/*
 * The TypeScript products are register-tiled: each pass of the inner loop produces a 4×2
 * tile of the output from 8 running sums, several times the naive i-k-j loop's speed
 * at course and medium sizes (bench/README.md). Every output entry is summed
 * in the same order (k = 0 … kn−1, then added to C) whichever path computes it, so a
 * one-column problem gives bit-identical columns to the full batch.
 */

/**
 * C (rows, m) += W[:, k0:k0+kn] · B (kn, m). C and B may start at offsets cOff and bOff of
 * their buffers (a block of a bigger buffer, without a view per call).
 */
export function mulAddTs(
  C: Float64Array, W: Float64Array, ldw: number, k0: number, rows: number, kn: number,
  B: Float64Array, m: number, cOff = 0, bOff = 0,
): void {
  let i = 0;
  for (; i + 4 <= rows; i += 4) {
    const w0 = i * ldw + k0, w1 = w0 + ldw, w2 = w1 + ldw, w3 = w2 + ldw;
    const c0 = cOff + i * m, c1 = c0 + m, c2 = c1 + m, c3 = c2 + m;
    let j = 0;
    for (; j + 2 <= m; j += 2) {
      let s00 = 0, s10 = 0, s20 = 0, s30 = 0, s01 = 0, s11 = 0, s21 = 0, s31 = 0;
      for (let k = 0, bk = bOff + j; k < kn; k++, bk += m) {
        const b0 = B[bk], b1 = B[bk + 1];
        const a0 = W[w0 + k], a1 = W[w1 + k], a2 = W[w2 + k], a3 = W[w3 + k];
        s00 += a0 * b0; s10 += a1 * b0; s20 += a2 * b0; s30 += a3 * b0;
        s01 += a0 * b1; s11 += a1 * b1; s21 += a2 * b1; s31 += a3 * b1;
      }
      C[c0 + j] += s00; C[c1 + j] += s10; C[c2 + j] += s20; C[c3 + j] += s30;
      C[c0 + j + 1] += s01; C[c1 + j + 1] += s11; C[c2 + j + 1] += s21; C[c3 + j + 1] += s31;
    }
    for (; j < m; j++) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0, bk = bOff + j; k < kn; k++, bk += m) {
        const b = B[bk];
        s0 += W[w0 + k] * b; s1 += W[w1 + k] * b; s2 += W[w2 + k] * b; s3 += W[w3 + k] * b;
      }
      C[c0 + j] += s0; C[c1 + j] += s1; C[c2 + j] += s2; C[c3 + j] += s3;
    }
  }
  for (; i < rows; i++) {
    const ci = cOff + i * m, wi = i * ldw + k0;
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let k = 0, bk = bOff + j; k < kn; k++, bk += m) s += W[wi + k] * B[bk];
      C[ci + j] += s;
    }
  }
}

/** C (kn, m) += W[:, k0:k0+kn]ᵀ · D (rows, m); C and D may start at offsets cOff, dOff. */
export function mulTAddTs(
  C: Float64Array, W: Float64Array, ldw: number, k0: number, rows: number, kn: number,
  D: Float64Array, m: number, cOff = 0, dOff = 0,
): void {
  let k = 0;
  for (; k + 4 <= kn; k += 4) {
    const c0 = cOff + k * m, c1 = c0 + m, c2 = c1 + m, c3 = c2 + m;
    let j = 0;
    for (; j + 2 <= m; j += 2) {
      let s00 = 0, s10 = 0, s20 = 0, s30 = 0, s01 = 0, s11 = 0, s21 = 0, s31 = 0;
      for (let i = 0, wi = k0 + k, di = dOff + j; i < rows; i++, wi += ldw, di += m) {
        const d0 = D[di], d1 = D[di + 1];
        const a0 = W[wi], a1 = W[wi + 1], a2 = W[wi + 2], a3 = W[wi + 3];
        s00 += a0 * d0; s10 += a1 * d0; s20 += a2 * d0; s30 += a3 * d0;
        s01 += a0 * d1; s11 += a1 * d1; s21 += a2 * d1; s31 += a3 * d1;
      }
      C[c0 + j] += s00; C[c1 + j] += s10; C[c2 + j] += s20; C[c3 + j] += s30;
      C[c0 + j + 1] += s01; C[c1 + j + 1] += s11; C[c2 + j + 1] += s21; C[c3 + j + 1] += s31;
    }
    for (; j < m; j++) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let i = 0, wi = k0 + k, di = dOff + j; i < rows; i++, wi += ldw, di += m) {
        const d = D[di];
        s0 += W[wi] * d; s1 += W[wi + 1] * d; s2 += W[wi + 2] * d; s3 += W[wi + 3] * d;
      }
      C[c0 + j] += s0; C[c1 + j] += s1; C[c2 + j] += s2; C[c3 + j] += s3;
    }
  }
  for (; k < kn; k++) {
    const ck = cOff + k * m;
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let i = 0, wi = k0 + k, di = dOff + j; i < rows; i++, wi += ldw, di += m) s += W[wi] * D[di];
      C[ck + j] += s;
    }
  }
}

/**
 * G[:, k0:k0+kn] += D (rows, m) · B (kn, m)ᵀ, G row-major with leading dimension ldg;
 * D and B may start at offsets dOff, bOff; column groups of w as in outerAdd.
 */
export function outerAddTs(
  G: Float64Array, ldg: number, k0: number, D: Float64Array, rows: number,
  B: Float64Array, kn: number, m: number, dOff = 0, bOff = 0, w = m, dGroup = 0, bGroup = 0,
): void {
  const groups = m / w;
  let i = 0;
  for (; i + 2 <= rows; i += 2) {
    const g0 = i * ldg + k0, g1 = g0 + ldg;
    let k = 0;
    for (; k + 2 <= kn; k += 2) {
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      for (let q = 0; q < groups; q++) {
        const d0 = dOff + q * dGroup + i * w, d1 = d0 + w;
        const b0 = bOff + q * bGroup + k * w, b1 = b0 + w;
        for (let j = 0; j < w; j++) {
          const x0 = D[d0 + j], x1 = D[d1 + j], y0 = B[b0 + j], y1 = B[b1 + j];
          s00 += x0 * y0; s01 += x0 * y1; s10 += x1 * y0; s11 += x1 * y1;
        }
      }
      G[g0 + k] += s00; G[g0 + k + 1] += s01; G[g1 + k] += s10; G[g1 + k + 1] += s11;
    }
    for (; k < kn; k++) {
      let s0 = 0, s1 = 0;
      for (let q = 0; q < groups; q++) {
        const d0 = dOff + q * dGroup + i * w, d1 = d0 + w, bk = bOff + q * bGroup + k * w;
        for (let j = 0; j < w; j++) {
          const y = B[bk + j];
          s0 += D[d0 + j] * y; s1 += D[d1 + j] * y;
        }
      }
      G[g0 + k] += s0; G[g1 + k] += s1;
    }
  }
  for (; i < rows; i++) {
    const gi = i * ldg + k0;
    for (let k = 0; k < kn; k++) {
      let s = 0;
      for (let q = 0; q < groups; q++) {
        const di = dOff + q * dGroup + i * w, bk = bOff + q * bGroup + k * w;
        for (let j = 0; j < w; j++) s += D[di + j] * B[bk + j];
      }
      G[gi + k] += s;
    }
  }
}

/** Z (rows, m) = b (rows, 1) broadcast over the batch; Z may start at offset zOff. */
export function fillBias(Z: Float64Array, b: Float64Array, rows: number, m: number, zOff = 0): void {
  for (let i = 0, k = zOff; i < rows; i++) {
    const v = b[i];
    for (let j = 0; j < m; j++, k++) Z[k] = v;
  }
}
