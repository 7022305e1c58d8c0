package io.spherical.benchmarks;

import io.spherical.api.Backend;
import io.spherical.api.Reduction;
import io.spherical.api.Tensor;
import io.spherical.api.UnaryOp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A backend that runs every operation on another one and times it (waiting for the device after each, so queued
 * backends are timed too): time per operation and shape, for profiles of a training step. Tensors are the wrapped
 * backend's own. Profiling changes what it measures a little (one timer read and one synchronisation per operation);
 * the time outside the backend's operations (host code of the layer) is what a profile reports as "host".
 */
final class ProfilingBackend implements Backend {
    /** Time and calls of one operation at one shape. */
    record Entry(String op, long calls, long nanos) {
    }

    private final Backend d;
    private final Map<String, long[]> times = new HashMap<>();
    private boolean on;

    ProfilingBackend(Backend delegate) {
        this.d = delegate;
    }

    /** Starts (or stops) recording. */
    void recording(boolean record) {
        on = record;
    }

    /** Forgets what was recorded. */
    void reset() {
        times.clear();
    }

    /** What was recorded, longest first. */
    List<Entry> entries() {
        List<Entry> out = new ArrayList<>();
        times.forEach((k, v) -> out.add(new Entry(k, v[0], v[1])));
        out.sort((a, b) -> Long.compare(b.nanos(), a.nanos()));
        return out;
    }

    private void timed(String op, Runnable body) {
        if (!on) {
            body.run();
            return;
        }
        long t0 = System.nanoTime();
        body.run();
        d.synchronize();
        long[] v = times.computeIfAbsent(op, k -> new long[2]);
        v[0]++;
        v[1] += System.nanoTime() - t0;
    }

    private static String s(Tensor t) {
        return t.rows() + "x" + t.cols();
    }

    @Override
    public String name() {
        return d.name();
    }

    @Override
    public String device() {
        return d.device();
    }

    @Override
    public Tensor zeros(int rows, int cols) {
        return d.zeros(rows, cols);
    }

    @Override
    public void upload(float[] src, Tensor dst) {
        timed("upload " + s(dst), () -> d.upload(src, dst));
    }

    @Override
    public void download(Tensor src, float[] dst) {
        timed("download " + s(src), () -> d.download(src, dst));
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        timed("copy " + s(src), () -> d.copy(src, dst));
    }

    @Override
    public void fill(Tensor x, float value) {
        timed("fill " + s(x), () -> d.fill(x, value));
    }

    @Override
    public void gemm(float alpha, Tensor a, boolean transA, Tensor b, boolean transB, float beta, Tensor c) {
        int k = transA ? a.rows() : a.cols();
        timed("gemm " + (transA ? "T" : "N") + (transB ? "T" : "N") + " " + c.rows() + "x" + c.cols() + "x" + k,
                () -> d.gemm(alpha, a, transA, b, transB, beta, c));
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        timed("axpy " + s(x), () -> d.axpy(alpha, x, y));
    }

    @Override
    public void scale(float alpha, Tensor x) {
        timed("scale " + s(x), () -> d.scale(alpha, x));
    }

    @Override
    public void addScalar(float alpha, Tensor x) {
        timed("addScalar " + s(x), () -> d.addScalar(alpha, x));
    }

    @Override
    public void map(UnaryOp f, Tensor x, Tensor out) {
        timed("map " + f + " " + s(x), () -> d.map(f, x, out));
    }

    @Override
    public void mapBackward(UnaryOp f, Tensor y, Tensor grad, Tensor out) {
        timed("mapBackward " + f + " " + s(y), () -> d.mapBackward(f, y, grad, out));
    }

    @Override
    public void mul(Tensor a, Tensor b, Tensor out) {
        timed("mul " + s(a), () -> d.mul(a, b, out));
    }

    @Override
    public void scaleRows(Tensor x, Tensor v, Tensor out) {
        timed("scaleRows " + s(x), () -> d.scaleRows(x, v, out));
    }

    @Override
    public void scaleColumns(Tensor x, Tensor v, Tensor out) {
        timed("scaleColumns " + s(x), () -> d.scaleColumns(x, v, out));
    }

    @Override
    public void addRowVector(float alpha, Tensor v, Tensor x) {
        timed("addRowVector " + s(x), () -> d.addRowVector(alpha, v, x));
    }

    @Override
    public void reduceRows(Reduction r, Tensor x, Tensor out) {
        timed("reduceRows " + r + " " + s(x), () -> d.reduceRows(r, x, out));
    }

    @Override
    public void reduceColumns(Reduction r, Tensor x, Tensor out) {
        timed("reduceColumns " + r + " " + s(x), () -> d.reduceColumns(r, x, out));
    }

    @Override
    public void rowDot(Tensor a, Tensor b, Tensor out) {
        timed("rowDot " + s(a), () -> d.rowDot(a, b, out));
    }

    @Override
    public void gatherRows(Tensor src, int[] idx, Tensor out) {
        timed("gatherRows " + s(out) + " of " + src.rows(), () -> d.gatherRows(src, idx, out));
    }

    @Override
    public void scatterAddRows(float alpha, Tensor src, int[] idx, Tensor dst) {
        timed("scatterAddRows " + s(src) + " into " + dst.rows(), () -> d.scatterAddRows(alpha, src, idx, dst));
    }

    @Override
    public void gatherElements(Tensor x, int[] cols, Tensor out) {
        timed("gatherElements " + s(x), () -> d.gatherElements(x, cols, out));
    }

    @Override
    public void addToElements(float alpha, Tensor values, int[] cols, Tensor x) {
        timed("addToElements " + s(x), () -> d.addToElements(alpha, values, cols, x));
    }

    @Override
    public void copyColumns(Tensor src, int srcCol, Tensor dst, int dstCol, int count) {
        timed("copyColumns " + src.rows() + "x" + count, () -> d.copyColumns(src, srcCol, dst, dstCol, count));
    }

    @Override
    public void logSoftmaxRows(Tensor x, Tensor out) {
        timed("logSoftmaxRows " + s(x), () -> d.logSoftmaxRows(x, out));
    }

    @Override
    public void segmentedLogSoftmax(Tensor x, int[] starts, Tensor offsets, Tensor out) {
        timed("segmentedLogSoftmax " + s(x), () -> d.segmentedLogSoftmax(x, starts, offsets, out));
    }

    @Override
    public void topKRows(Tensor x, int k, int[] out) {
        timed("topKRows " + s(x), () -> d.topKRows(x, k, out));
    }

    @Override
    public void targetRanks(Tensor x, int[] targets, int[] ranks) {
        timed("targetRanks " + s(x), () -> d.targetRanks(x, targets, ranks));
    }

    @Override
    public void solve(Tensor a, Tensor b, Tensor x) {
        timed("solve " + s(a) + " rhs " + b.cols(), () -> d.solve(a, b, x));
    }

    @Override
    public long allocatedBytes() {
        return d.allocatedBytes();
    }

    @Override
    public void synchronize() {
        d.synchronize();
    }

    @Override
    public void close() {
        d.close();
    }
}
