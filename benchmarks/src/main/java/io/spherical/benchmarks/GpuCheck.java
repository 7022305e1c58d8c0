package io.spherical.benchmarks;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.testkit.BackendContract;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The GPU check run inside the self-contained bundle (benchmarks/gpu/build-bundle.sh): the backend contract suite on
 * the OpenCL backend, then the factored Z-loss and log-softmax layer steps on it, printed as one table.
 * Arguments: {@code [vocab,vocab,...] [iterations]} (defaults 10000,100000,793471 and 5).
 */
public final class GpuCheck {
    private GpuCheck() {
    }

    /** The contract suite on whatever OpenCL device the provider chooses. */
    public static final class OpenClContract extends BackendContract {
        @Override
        protected Backend createBackend() {
            return BackendDiscovery.discover().create("opencl");
        }
    }

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        String[] vocabs = (args.length > 0 ? args[0] : "10000,100000,793471").split(",");
        int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        BackendDiscovery d = BackendDiscovery.discover();
        d.candidates().forEach(c -> System.out.println("provider " + c.describe()));
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(OpenClContract.class)).build(),
                listener);
        TestExecutionSummary s = listener.getSummary();
        s.printFailuresTo(new PrintWriter(System.out, true), 5);
        List<BenchResult> rows = new ArrayList<>();
        try (Backend b = d.create("opencl")) {
            System.out.println("device: " + b.device());
            for (String v : vocabs) {
                int vocab = Integer.parseInt(v.trim());
                for (String layer : List.of("factored-z", "softmax")) {
                    rows.add(LayerBench.run(b, layer, vocab, 513, 200, 2, iterations));
                    System.out.printf("%s D=%d: %.2f ms%n", layer, vocab, rows.get(rows.size() - 1).msMedian());
                }
            }
        }
        System.out.println();
        System.out.printf("contract suite on OpenCL: %d tests, %d passed, %d failed, %d skipped%n",
                s.getTestsFoundCount(), s.getTestsSucceededCount(), s.getTestsFailedCount(), s.getTestsSkippedCount());
        System.out.print(BenchResult.format(rows, "markdown"));
        System.exit(s.getTestsFailedCount() == 0 && s.getTestsFoundCount() > 0 ? 0 : 1);
    }
}
