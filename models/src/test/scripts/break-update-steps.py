#!/usr/bin/env python3
"""Breaks each update step of the factored layer in turn (27 hand-written mutants, 7 of them in the step's d x d form) and runs the factored-layer suite
on ND4J (Nd4jFactoredLayerTest, in contracts); prints KILLED or SURVIVED for each. Run from the repository root after
`mvn -B install -DskipTests`:
    python3 models/src/test/scripts/break-update-steps.py
The source file is restored at the end, whatever happens."""
import subprocess, sys, re
D = 'models/src/main/java/io/spherical/models/output/'
P, S, M, I = D + 'FactoredSphericalOutput.java', D + 'Stabiliser.java', D + 'SmallMatrices.java', D + 'InverseUpdate.java'
F, B, W = D + 'FactoredUpdate.java', D + 'BatchProducts.java', D + 'WidthProducts.java'
MUTANTS = [
 ("forward: U h (HUt) with U untransposed", P, "b.gemm(1f, w.hb, false, st.u, true, 0f, w.hu);        // rows", "b.gemm(1f, w.hb, false, st.u, false, 0f, w.hu);        // rows"),
 ("forward: Q h doubled (q)", P, "b.gemm(1f, w.hb, false, st.q, true, 0f, w.qh);", "b.gemm(2f, w.hb, false, st.q, true, 0f, w.qh);"),
 ("forward: s = wbar . h halved", P, "b.gemm(1f, w.hb, false, st.wbarColumn, false, 0f, w.s);", "b.gemm(0.5f, w.hb, false, st.wbarColumn, false, 0f, w.s);"),
 ("forward: a without omega . h", P, "b.axpy(1f, w.omegaH, w.a);", "b.axpy(0f, w.omegaH, w.a);"),
 ("backward: dL/dH without the factor 2 of fq", F, "b.scaleRows(w.qh, w.fq2, w.ghat);", "b.scaleRows(w.qh, w.fq, w.ghat);"),
 ("backward: W_C without omega", F, "b.addRowVector(1f, st.omega, w.wc);", "b.addRowVector(0f, st.omega, w.wc);"),
 ("M: one of the fs fa cross terms dropped", M, "+ fs[i] * fa[j] + fa[i] * fs[j]", "+ fs[i] * fa[j]"),
 ("M: repeated targets treated as distinct", M, "val += fa[i] * fa[j];", "val += 0;"),
 ("K: C on the wrong side", M, "(-2.0 * eta * fq[j])", "(-2.0 * eta * fq[i])"),
 ("U^-1: Woodbury correction with the wrong sign", I, "b.gemm(-1f, w.hb, true, w.x, false, 1f, uinv);", "b.gemm(1f, w.hb, true, w.x, false, 1f, uinv);"),
 ("U: update without the factor 2", F, "b.gemm(-2f * eta, w.hu, true, w.hb, false, 1f, st.u);", "b.gemm(-1f * eta, w.hu, true, w.hb, false, 1f, st.u);"),
 ("omega: without the factor 2 of fq", F, "(2.0 * buf.fq[i] * buf.omegaH[i] + buf.fs[i])", "(buf.fq[i] * buf.omegaH[i] + buf.fs[i])"),
 ("V: rows of the targets updated twice as far", F, "b.scatterAddRows(-eta, w.y, targets, st.v);", "b.scatterAddRows(-2 * eta, w.y, targets, st.v);"),
 ("Q: the eta^2 H M H^T term dropped", B, "b.gemm(eta * eta, w.gram, false, w.hb, false, 0f, w.x);", "b.gemm(0f, w.gram, false, w.hb, false, 0f, w.x);"),
 ("Q: the -eta G^T H term dropped", B, "b.gemm(-eta, w.ghat, true, w.hb, false, 1f, q);", "b.gemm(0f, w.ghat, true, w.hb, false, 1f, q);"),
 ("Q: never updated", B, "b.gemm(1f, w.hb, true, w.x, false, 1f, q);\n        b.gemm(-eta, w.ghat, true, w.hb, false, 1f, q);", "// Q frozen"),
 ("wbar: without the target term fa", F, "(double) classes * buf.fs[i] + buf.fa[i])", "(double) classes * buf.fs[i])"),
 ("stabilise: V not compensated by the rescale", S, "b.gemm((float) c, p, false, rt, true, (float) c, st.v);", "b.gemm((float) c, p, false, rt, true, 1f, st.v);"),
 ("stabilise: V not compensated by a correction", S, "b.gemm((float) c, p, false, rt, true, (float) c, st.v);", "b.gemm(0f, p, false, rt, true, (float) c, st.v);"),
 ("stabilise: V rescaled only when corrected", S, "                b.scale((float) c, st.v);", "                b.scale(1f, st.v);"),
 ("d x d: X = H^T C H with the wrong sign (U^-1 and Q)", W, "b.gemm(1f, w.hb, true, w.y, false, 0f, hch);", "b.gemm(-1f, w.hb, true, w.y, false, 0f, hch);"),
 ("d x d: K without -Q X / 2", W, "b.gemm(-0.5f, q, false, hch, false, 1f, k);", "b.gemm(0f, q, false, hch, false, 1f, k);"),
 ("d x d: -X K dropped (only K^T X kept)", W, "b.gemm(-1f, hch, false, k, false, 0f, delta);", "b.gemm(0f, hch, false, k, false, 0f, delta);"),
 ("d x d: Q without -eta H^T Ghat", W, "b.gemm(-eta, w.hb, true, w.ghat, false, 1f, delta);", "b.gemm(0f, w.hb, true, w.ghat, false, 1f, delta);"),
 ("d x d: the D u u^T term dropped", W, "b.gemm(eta2 * classes, u, true, u, false, 1f, delta);", "b.gemm(0f, u, true, u, false, 1f, delta);"),
 ("d x d: repeated targets treated as distinct", W, "if (groups.number(targets, m, w.groups) < m) {", "if (groups.number(targets, m, w.groups) < 0) {"),
 ("d x d: step control on half the weights", W, "buf.upload[i] = (float) (stepControl.weight(i) / largest);", "buf.upload[i] = (float) (0.5 * stepControl.weight(i) / largest);"),
# Not a mutant: dropping the cross term (x_1 . x_2) of two corrections applied at once changes nothing measurable,
# because x_1 and x_2 are the singular vectors of U's largest and smallest singular values, orthogonal up to the
# power iterations' error (tried: 0 of 51 tests fail). The term is kept so that the product stays exact.
]
originals = {f: open(f).read() for f in (P, S, M, I, F, B, W)}
try:
    only = sys.argv[1] if len(sys.argv) > 1 else ""     # e.g. "stabilise" runs only those mutants
    for name, f, old, new in MUTANTS:
        if only not in name:
            continue
        orig = originals[f]
        if orig.count(old) != 1:
            print(f"SKIP {name}: pattern found {orig.count(old)} times", flush=True); continue
        open(f, 'w').write(orig.replace(old, new))
        c = subprocess.run("mvn -B -q -o -pl models compile", shell=True, capture_output=True, text=True)
        if c.returncode:
            print(f"COMPILE-ERROR {name}", flush=True); continue
        # the suite lives in contracts, which depends on models: the reactor of the two runs it on the mutated classes
        t = subprocess.run("mvn -B -o -pl models,contracts test -Dtest=Nd4jFactoredLayerTest -Dsurefire.failIfNoSpecifiedTests=false",
                           shell=True, capture_output=True, text=True)
        m = re.findall(r"Tests run: (\d+), Failures: (\d+), Errors: (\d+)", t.stdout)
        tot, fail, err = (m[-1] if m else ("?", "?", "?"))
        verdict = "KILLED" if t.returncode else "SURVIVED"
        print(f"{verdict} {name}: {fail} failures, {err} errors of {tot} tests", flush=True)
        open(f, 'w').write(orig)
finally:
    for f, text in originals.items():
        open(f, 'w').write(text)
    subprocess.run("mvn -B -q -o -pl models compile", shell=True)
