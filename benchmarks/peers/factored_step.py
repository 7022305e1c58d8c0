#!/usr/bin/env python3
"""The factored Z-loss update of one minibatch in plain NumPy: the peer of `spherical bench layer --layers factored-z`.

Written as a careful NumPy user would write it from docs/ALGORITHM.md section 5 (float32 arrays, every product a
BLAS call, W = V U + 1 omega^T never formed, Uinv by the Woodbury identity with one m x m solve, the scatter-add into
the target rows of V by np.add.at). No step control and no stabilisation: the bare update.

  python3 benchmarks/peers/factored_step.py --check                     # the update equals the dense one (float64)
  python3 benchmarks/peers/factored_step.py --vocab 793471 --dim 513 --batch 200 --iterations 20
"""
import argparse
import time

import numpy as np


def zloss(q, s, a, D, alpha=1.0, beta=0.0):
    """Z-loss and its partials (fq, fs, fa) per example, in float64."""
    mu = s / D
    var = np.maximum(q / D - mu * mu, 1e-6 * q / D + 1e-30)
    sigma = np.sqrt(var)
    z = (a - mu) / sigma
    x = alpha * (beta - z)
    loss = np.logaddexp(0.0, x) / alpha
    g = -1.0 / (1.0 + np.exp(-x))               # dL/dz = -sigmoid(alpha (beta - z))
    fa = g / sigma
    fs = g * (-1.0 + z * mu / sigma) / (D * sigma)
    fq = -g * z / (2.0 * D * var)
    return loss, fq, fs, fa


class Factored:
    def __init__(self, W):
        D, d = W.shape
        self.D = D
        self.V = W.copy()
        self.U = np.eye(d, dtype=W.dtype)
        self.Uinv = np.eye(d, dtype=W.dtype)
        self.omega = np.zeros(d, dtype=W.dtype)
        self.Q = self.V.T @ self.V
        self.wbar = self.V.sum(axis=0)

    def W(self):
        return self.V @ self.U + self.omega[None, :]

    def step(self, H, c, eta):
        """One SGD step on the mean Z-loss of (H, c); returns the loss and dL/dH."""
        m = H.shape[0]
        dt = H.dtype
        UH = H @ self.U.T                        # rows (U h_i)^T
        QH = H @ self.Q                          # rows (Q h_i)^T (Q is symmetric)
        q = np.einsum('ij,ij->i', H, QH)
        s = H @ self.wbar
        VC = self.V[c]
        oh = H @ self.omega
        a = np.einsum('ij,ij->i', VC, UH) + oh
        loss, fq, fs, fa = zloss(q.astype(np.float64), s.astype(np.float64), a.astype(np.float64), self.D)
        fq, fs, fa = (fq / m).astype(dt), (fs / m).astype(dt), (fa / m).astype(dt)
        WC = VC @ self.U + self.omega[None, :]
        X = fs[:, None] * self.wbar[None, :] + fa[:, None] * WC
        Ghat = 2 * fq[:, None] * QH + X          # dL/dH
        # M = G G^T from m x m and m x d quantities
        P = H @ QH.T
        R = H @ X.T
        fR = fq[:, None] * R
        M = (4 * fq[:, None] * P * fq[None, :] + self.D * np.outer(fs, fs) + np.outer(fs, fa) + np.outer(fa, fs)
             + 2 * fR + 2 * fR.T + np.outer(fa, fa) * (c[:, None] == c[None, :]))
        # U <- U (I - 2 eta H^T diag(fq) H); Uinv by Woodbury with C = -2 eta diag(fq)
        C = (-2 * eta) * fq
        HtC = H.T * C[None, :]                   # d x m
        self.U += self.U @ (HtC @ H)
        K = np.eye(m, dtype=dt) + (H @ H.T) * C[None, :]
        self.Uinv -= HtC @ np.linalg.solve(K, H @ self.Uinv)
        self.omega -= eta * (H.T @ (2 * fq * oh + fs))
        np.add.at(self.V, c, (-eta * fa)[:, None] * (H @ self.Uinv))
        GtH = Ghat.T @ H
        self.Q += (-eta) * (GtH + GtH.T) + (eta * eta) * (H.T @ (M @ H))
        self.wbar -= eta * (H.T @ (2 * fq * s + self.D * fs + fa))
        return float(loss.mean()), Ghat


def dense_step(W, H, c, eta):
    """The same SGD step on the dense W (the reference)."""
    O = H @ W.T
    D = W.shape[0]
    m = H.shape[0]
    q = (O * O).sum(axis=1)
    s = O.sum(axis=1)
    a = O[np.arange(m), c]
    loss, fq, fs, fa = zloss(q, s, a, D)
    G = 2 * (fq / m)[:, None] * O + (fs / m)[:, None]
    G[np.arange(m), c] += fa / m
    return W - eta * G.T @ H, G @ W


def zipf_targets(rng, D, m):
    hn = np.log(D) + 0.5772156649
    return np.minimum(D - 1, np.floor(np.exp(rng.random(m) * hn - 0.5772156649))).astype(np.int64)


def check():
    rng = np.random.default_rng(3)
    D, d, m, eta = 1000, 33, 16, 0.5
    W = rng.uniform(-0.1, 0.1, (D, d))
    f = Factored(W)
    for step in range(20):
        H = rng.standard_normal((m, d))
        c = zipf_targets(rng, D, m)
        c[1] = c[0]                              # a repeated target
        W_next, dH = dense_step(W, H, c, eta)
        _, Ghat = f.step(H, c, eta)
        W = W_next
        err = np.linalg.norm(f.W() - W) / np.linalg.norm(W)
        gerr = np.linalg.norm(Ghat - dH) / np.linalg.norm(dH)
        qerr = np.linalg.norm(f.Q - W.T @ W) / np.linalg.norm(W.T @ W)
        assert err < 1e-9 and gerr < 1e-9 and qerr < 1e-9, (step, err, gerr, qerr)
    print(f"check: 20 float64 steps equal the dense update (W {err:.1e}, dL/dH {gerr:.1e}, Q {qerr:.1e})")


def bench(D, d, m, iterations, warmup):
    rng = np.random.default_rng(7)
    lim = np.sqrt(6.0 / (D + d))
    f = Factored(rng.uniform(-lim, lim, (D, d)).astype(np.float32))
    H = rng.standard_normal((m, d)).astype(np.float32)
    times = []
    for i in range(warmup + iterations):
        c = zipf_targets(rng, D, m)
        t0 = time.perf_counter()
        f.step(H, c, np.float32(1e-3))
        if i >= warmup:
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    med = times[len(times) // 2] if len(times) % 2 else (times[len(times) // 2 - 1] + times[len(times) // 2]) / 2
    print(f"numpy factored step D={D} d={d} m={m}: median {med:.2f} ms, min {times[0]:.2f} ms, max {times[-1]:.2f} ms"
          f" ({len(times)} steps, numpy {np.__version__})")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="compare with the dense update in float64 and exit")
    p.add_argument("--vocab", type=int, default=793471)
    p.add_argument("--dim", type=int, default=513, help="d, the input width with the bias")
    p.add_argument("--batch", type=int, default=200)
    p.add_argument("--iterations", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    a = p.parse_args()
    if a.check:
        check()
    else:
        bench(a.vocab, a.dim, a.batch, a.iterations, a.warmup)
