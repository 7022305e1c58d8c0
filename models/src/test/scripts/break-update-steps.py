#!/usr/bin/env python3
"""Breaks each update step of the factored layer in turn (19 hand-written mutants) and runs the factored-layer suite
on ND4J; prints KILLED or SURVIVED for each. Run from the repository root after `mvn -B install -DskipTests`:
    python3 models/src/test/scripts/break-update-steps.py
The source file is restored at the end, whatever happens."""
import subprocess, sys, re
P = 'models/src/main/java/io/spherical/models/output/FactoredSphericalOutput.java'
MUTANTS = [
 ("forward: U h (HUt) with U untransposed", "b.gemm(1f, w.hb, false, u, true, 0f, w.hut);        // HUt", "b.gemm(1f, w.hb, false, u, false, 0f, w.hut);        // HUt"),
 ("forward: Q h doubled (q)", "b.gemm(1f, w.hb, false, q, true, 0f, w.qht);", "b.gemm(2f, w.hb, false, q, true, 0f, w.qht);"),
 ("forward: s = wbar . h halved", "b.gemm(1f, w.hb, false, wbar, true, 0f, w.s);", "b.gemm(0.5f, w.hb, false, wbar, true, 0f, w.s);"),
 ("forward: a without omega . h", "b.axpy(1f, w.ho, w.a);", "b.axpy(0f, w.ho, w.a);"),
 ("backward: dL/dH without the factor 2 of fq", "b.scaleRows(w.qht, w.fq2, w.ghat);", "b.scaleRows(w.qht, w.fq, w.ghat);"),
 ("backward: W_C without omega", "b.addRowVector(1f, omega, w.wc);\n        b.gemm(1f, w.fs", "b.addRowVector(0f, omega, w.wc);\n        b.gemm(1f, w.fs"),
 ("M: one of the fs fa cross terms dropped", "+ fs[i] * fa[j] + fa[i] * fs[j]", "+ fs[i] * fa[j]"),
 ("M: repeated targets treated as distinct", "val += fa[i] * fa[j];", "val += 0;"),
 ("K: C on the wrong side", "(-2.0 * eta * fq[j])", "(-2.0 * eta * fq[i])"),
 ("U^-1: Woodbury correction with the wrong sign", "b.gemm(-1f, w.hb, true, w.x, false, 1f, uinv);", "b.gemm(1f, w.hb, true, w.x, false, 1f, uinv);"),
 ("U: update without the factor 2", "b.gemm(-2f * eta, w.hut, true, w.hb, false, 1f, u);", "b.gemm(-1f * eta, w.hut, true, w.hb, false, 1f, u);"),
 ("omega: without the factor 2 of fq", "upload[i] = (float) (2.0 * fq[i] * hho[i] + fs[i]);", "upload[i] = (float) (fq[i] * hho[i] + fs[i]);"),
 ("V: rows of the targets updated twice as far", "b.scatterAddRows(-eta, w.y, targets, v);", "b.scatterAddRows(-2 * eta, w.y, targets, v);"),
 ("Q: the eta^2 H M H^T term dropped", "b.gemm(eta * eta, w.mgram, false, w.hb, false, 0f, w.x);", "b.gemm(0f, w.mgram, false, w.hb, false, 0f, w.x);"),
 ("Q: the -eta G^T H term dropped", "b.gemm(-eta, w.ghat, true, w.hb, false, 1f, q);", "b.gemm(0f, w.ghat, true, w.hb, false, 1f, q);"),
 ("Q: never updated", "b.gemm(1f, w.hb, true, w.x, false, 1f, q);\n        b.gemm(-eta, w.ghat, true, w.hb, false, 1f, q);", "// Q frozen"),
 ("wbar: without the target term fa", "(2.0 * fq[i] * hs[i] + (double) classes * fs[i] + fa[i])", "(2.0 * fq[i] * hs[i] + (double) classes * fs[i])"),
 ("stabilise: V not compensated by the rescale", "b.scale((float) c, v);", "b.scale(1f, v);"),
 ("stabilise: V not compensated by a correction", "b.gemm((float) (1.0 / t - 1), vu, false, x, true, 1f, v);", "b.gemm(0f, vu, false, x, true, 1f, v);"),
]
orig = open(P).read()
results = []
try:
    for name, old, new in MUTANTS:
        if orig.count(old) != 1:
            print(f"SKIP {name}: pattern found {orig.count(old)} times", flush=True); continue
        open(P, 'w').write(orig.replace(old, new))
        c = subprocess.run("mvn -B -q -o -pl models compile", shell=True, capture_output=True, text=True)
        if c.returncode:
            print(f"COMPILE-ERROR {name}", flush=True); continue
        t = subprocess.run("cd models && mvn -B -o surefire:test -Dtest=Nd4jFactoredLayerTest", shell=True, capture_output=True, text=True)
        m = re.findall(r"Tests run: (\d+), Failures: (\d+), Errors: (\d+)", t.stdout)
        tot, fail, err = (m[-1] if m else ("?", "?", "?"))
        verdict = "KILLED" if t.returncode else "SURVIVED"
        print(f"{verdict} {name}: {fail} failures, {err} errors of {tot} tests", flush=True)
finally:
    open(P, 'w').write(orig)
    subprocess.run("mvn -B -q -o -pl models compile", shell=True)
