package io.spherical.testkit;


import io.spherical.api.Backend;
import io.spherical.api.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * What the backend contract suites share: the backend under test (created once per test class by
 * {@link #createBackend()}, closed after it), the tensors a test creates (closed after each test), and seeded random
 * inputs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ContractFixture {


    /** Creates the backend under test (called once per test class). */
    protected abstract Backend createBackend();

    /** The backend under test. */
    protected Backend backend;
    private final List<Tensor> live = new ArrayList<>();
    final Random rnd = new Random(20160428);

    @BeforeAll
    void openBackend() {
        backend = createBackend();
    }

    @AfterAll
    void closeBackend() {
        if (backend != null) { // null when the suite was skipped
            backend.close();
        }
    }

    @AfterEach
    void releaseTensors() {
        live.forEach(Tensor::close);
        live.clear();
    }

    Tensor tensor(float[] data, int rows, int cols) {
        Tensor t = backend.fromHost(data, rows, cols);
        live.add(t);
        return t;
    }

    Tensor zeros(int rows, int cols) {
        Tensor t = backend.zeros(rows, cols);
        live.add(t);
        return t;
    }

    float[] random(int n) {
        return Dense64.randomFloats(rnd, n, 1.0);
    }

    static int[][] shapes() {
        return new int[][] {{1, 1}, {1, 7}, {7, 1}, {37, 3}, {3, 41}, {64, 64}, {129, 17}};
    }
}
