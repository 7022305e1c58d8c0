package io.spherical.backend.nd4j;

import io.spherical.api.Backend;
import io.spherical.api.BackendProvider;
import io.spherical.api.Probe;
import java.util.Locale;

/**
 * Provider of the CPU backend on ND4J {@code nd4j-native}. Probing only looks for classes and native resources;
 * the natives load in {@link #create()}.
 */
public final class Nd4jBackendProvider implements BackendProvider {

    /** The name used to force this backend. */
    public static final String NAME = "nd4j";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 50;
    }

    @Override
    public Probe probe() {
        ClassLoader cl = Nd4jBackendProvider.class.getClassLoader();
        try {
            Class.forName("org.nd4j.linalg.factory.Nd4j", false, cl);
        } catch (ClassNotFoundException | LinkageError e) {
            return Probe.unavailable("ND4J classes are missing (add org.nd4j:nd4j-native to the classpath)");
        }
        String platform = platform();
        String lib = "org/nd4j/linalg/cpu/nativecpu/bindings/" + platform + "/libjnind4jcpu.so";
        if (cl.getResource(lib) == null) {
            return Probe.unavailable("no ND4J natives for " + platform
                    + " on the classpath (add org.nd4j:nd4j-native with classifier " + platform + ")");
        }
        return Probe.available("CPU " + platform + ", " + Runtime.getRuntime().availableProcessors() + " cores (ND4J/OpenBLAS)");
    }

    @Override
    public Backend create() {
        return new Nd4jBackend();
    }

    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String o = os.startsWith("linux") ? "linux" : os.startsWith("mac") ? "macosx" : os.startsWith("windows") ? "windows" : os;
        String a = switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "arm64";
            default -> arch;
        };
        return o + "-" + a;
    }
}
