package io.spherical.models.lm;

import io.spherical.api.UserException;
import io.spherical.models.output.SampledSoftmaxOutput;
import io.spherical.models.output.SoftmaxOutput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The bytes a language model will allocate, estimated from its configuration before anything is allocated, so that
 * a configuration that cannot fit is refused with one line instead of growing until the kernel kills the process.
 * Counted: every parameter and optimizer slot, every per-minibatch buffer of every layer (the factored layer's
 * {@code m x m} matrices included, on the device and their host copies, when m &lt;= d; a wider minibatch takes the
 * step's d x d form, whose d x d buffers are counted instead), the evaluation score buffer and the host
 * copy a checkpoint write makes of the largest array. Each single array must also stay below 2^31 elements, the
 * indexing limit of the backends.
 */
public final class MemoryPlan {
    /** Elements of the largest array a backend indexes. */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8L;
    /** Rows x classes of the evaluation score buffer (the trainer's budget). */
    public static final long EVAL_SCORE_FLOATS = 32L << 20;

    private long floats;
    private long largest;
    private String largestName = "";

    private MemoryPlan() {
    }

    /** The estimate for a model of {@code classes} words trained with minibatches of {@code batch}. */
    public static MemoryPlan of(ModelConfig mc, int classes, int batch, String optimizer) {
        MemoryPlan p = new MemoryPlan();
        long m = batch;
        int slots = switch (optimizer) {
            case "sgd" -> 0;
            case "momentum", "adagrad" -> 1;
            default -> 2; // adam, and plugins we cannot see into
        };
        p.add("the embedding table", classes, mc.embedding(), 2);                 // table and its host initialiser
        p.add("the embedding buffers", m * mc.context(), mc.embedding(), 2);
        long width = (long) mc.context() * mc.embedding();
        for (int h : mc.hidden()) {
            p.add("a hidden layer's weights", h, width, 3 + slots);            // W, dW, host init, optimizer slots
            p.add("a hidden layer's buffers", m, h + h + width, 1);
            width = h;
        }
        long d = width + 1;
        p.add("the output layer's input", m, d, 2);
        switch (mc.output()) {
            case FACTORED -> {
                p.add("the output weights V", classes, d, 1);
                // m > d: the d x d form of the step (WidthProducts), no m x m matrix; its d x d buffers are A, A^-1,
                // A^-1 U^-1 and two of Newton-Schulz (InverseUpdate), H^T C H, K and Q's change, and one host copy
                p.add("the d x d state", d, d, m > d ? 8 + 5 + 3 + 1 : 8);
                p.add("the factored layer's m x d buffers", m, d, 8);
                if (m <= d) {
                    p.add("the factored layer's m x m matrices", m, m, 8 + 5);     // 8 on the device, 5 host copies
                }
                p.add("the unfactorisation block", Math.min(8192, classes), d, 1);
                p.add("a column of V", classes, 2, 1);
            }
            case DENSE -> {
                p.add("the output weights", classes, d, 2);
                p.add("the dense layer's outputs", m, classes, 1);
            }
            case SOFTMAX -> {
                p.add("the output weights", classes, d, 1);
                p.add("the softmax scores", m, Math.min(classes, Math.max(1, SoftmaxOutput.DEFAULT_BUDGET / m)), 1);
            }
            case HSM -> {
                p.add("the output weights", classes, d, 1);
                long clusters = (long) Math.ceil(Math.sqrt(classes)) + 1;
                p.add("the hierarchical softmax scores", m, classes, 1);
                p.add("the hierarchical softmax class scores", m, clusters, 2);
            }
            case SAMPLED -> {
                long k = NgramLanguageModel.samples(mc, classes);
                p.add("the output weights", classes, d, 1);
                p.add("the sampled rows", k, d, 1);
                p.add("the sampled scores", m, k + 1, 2);
                p.add("the exact softmax's evaluation scores", m,
                        Math.min(classes, Math.max(1, SampledSoftmaxOutput.EVAL_BUDGET / m)), 1);
                p.add("the sampler's positions", classes, 2, 1);
            }
            case ADAPTIVE -> {
                p.add("the output weights", classes, d, 1);
                p.add("the tail scores", m, classes, 1);
                p.add("the head scores", m, NgramLanguageModel.cutoffs(mc, classes)[0], 1);
            }
            default -> throw new IllegalStateException("unknown output " + mc.output());
        }
        long evalRows = Math.max(1, Math.min(m, EVAL_SCORE_FLOATS / classes));
        p.add("the evaluation scores", evalRows, classes, 1);
        p.floats = plus(p.floats, p.largest);                                   // checkpoint: host copy of one array
        return p;
    }

    private void add(String name, long rows, long cols, int copies) {
        long n = times(rows, cols);
        if (n > largest) {
            largest = n;
            largestName = name + " (" + rows + " x " + cols + ")";
        }
        floats = plus(floats, times(n, copies));
    }

    /** a b for non-negative a, b, saturating at Long.MAX_VALUE (sizes never wrap around). */
    public static long times(long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    private static long plus(long a, long b) {
        long r = a + b;
        return r < 0 ? Long.MAX_VALUE : r;
    }

    /** The estimated bytes (float32 everywhere). */
    public long bytes() {
        return times(floats, 4);
    }

    /** The largest single array, described. */
    public String largest() {
        return largestName;
    }

    /**
     * Refuses a configuration whose largest array exceeds the backends' indexing limit or whose estimate exceeds
     * {@code availableBytes}; the message names the estimate, what is free and what to change.
     */
    public void check(long availableBytes, String fix) {
        if (largest > MAX_ELEMENTS) {
            throw new UserException(String.format(Locale.ROOT, "This configuration needs a single array of %s, more"
                    + " than the 2^31 elements a backend can index. Fix: %s.", largestName, fix));
        }
        if (bytes() > availableBytes) {
            throw new UserException(String.format(Locale.ROOT, "This configuration needs about %s of memory (largest"
                    + " array: %s) but %s is available. Fix: %s.", human(bytes()), largestName,
                    human(availableBytes), fix));
        }
    }

    /** Bytes in GiB or MiB, one decimal. */
    public static String human(long bytes) {
        if (bytes == Long.MAX_VALUE) {
            return "more than 8 EiB";
        }
        double gib = bytes / (double) (1L << 30);
        return gib >= 1 ? String.format(Locale.ROOT, "%.1f GiB", gib)
                : String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }

    /**
     * Memory this process may still take: the smaller of the machine's available memory (MemAvailable) and the
     * cgroup limit minus what the cgroup uses; the JVM's view of physical memory where /proc is absent.
     */
    public static long availableBytes() {
        long avail = Long.MAX_VALUE;
        long mem = meminfo("MemAvailable:");
        if (mem > 0) {
            avail = mem;
        } else if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            avail = os.getFreeMemorySize();
        }
        long limit = readLong(Path.of("/sys/fs/cgroup/memory.max"));
        long used = readLong(Path.of("/sys/fs/cgroup/memory.current"));
        if (limit > 0 && used >= 0) {
            avail = Math.min(avail, Math.max(0, limit - used));
        }
        return avail;
    }

    private static long meminfo(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).replace("kB", "").trim()) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private static long readLong(Path p) {
        try {
            return Long.parseLong(Files.readString(p).trim());
        } catch (IOException | RuntimeException e) {
            return -1; // absent, or "max"
        }
    }
}
