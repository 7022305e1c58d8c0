package io.spherical.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Reduction;
import io.spherical.api.UnaryOp;
import org.junit.jupiter.api.Test;

/** The kernels' operation codes come from the Java enums, once each; kernels.cl defines none itself. */
class KernelSourceTest {
    @Test
    void operationCodesAreGeneratedFromTheEnums() {
        String src = Kernels.source();
        for (UnaryOp op : UnaryOp.values()) {
            assertEquals(1, count(src, "#define OP_" + op.name() + " "), op.name());
            assertTrue(src.contains("#define OP_" + op.name() + " " + op.ordinal() + "\n"), op.name());
        }
        for (Reduction r : Reduction.values()) {
            assertTrue(src.contains("#define RED_" + r.name() + " " + r.ordinal() + "\n"), r.name());
        }
        assertEquals(UnaryOp.values().length + Reduction.values().length, count(src, "#define "),
                "no code is defined twice or by hand");
    }

    private static int count(String s, String part) {
        int n = 0;
        for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }
}
