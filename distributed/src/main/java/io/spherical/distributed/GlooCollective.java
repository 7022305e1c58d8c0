package io.spherical.distributed;

import io.spherical.api.Collective;
import io.spherical.api.GroupAddress;
import io.spherical.api.UserException;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.Work;
import org.bytedeco.pytorch.global.torch;

/**
 * A {@link Collective} on Gloo, the collective library of PyTorch's CPU data parallelism, through JavaCPP's PyTorch
 * preset: a {@code TCPStore} for the rendezvous (rank 0 serves it on loopback, behind the token admission of
 * {@link GroupStore}) and a {@code ProcessGroupGloo} for the operations (ring all-reduce, all-gather, broadcast,
 * barrier over TCP). Host arrays go through off-heap buffers this group keeps and grows (no allocation per call once
 * they have their size). Not thread safe: one training thread uses it.
 */
final class GlooCollective implements Collective {
    private final int rank;
    private final int size;
    private final GroupStore rendezvous;
    private final ProcessGroupGloo group;
    private final Staging floats = new Staging(ScalarType.Float);
    private final Staging gathered = new Staging(ScalarType.Float);
    private final Staging ints = new Staging(ScalarType.Int);
    private final Staging gatheredInts = new Staging(ScalarType.Int);
    private long bytes;
    private boolean closed;

    GlooCollective(int rank, int size, GroupAddress at) {
        Rendezvous.requireResolvable(at.host());    // an unknown host: one line now, not native text after the timeout
        this.rank = rank;
        this.size = size;
        rendezvous = GroupStore.open(rank, size, at);       // token admission; one line on failure
        try {
            ProcessGroupGloo.Options opts = ProcessGroupGloo.Options.create(new Milliseconds(at.timeout().toMillis()));
            opts.devices().push_back(device(at.host()));
            group = new ProcessGroupGloo(rendezvous.store(), rank, size, opts);
        } catch (RuntimeException e) {
            rendezvous.close();
            throw Rendezvous.joinFailed(rank, size, at.host(), at.port(), at.timeout(), e);   // one line, no trace
        }
    }

    /** The network device: loopback for a loopback master, else the interface named by SPHERICAL_GLOO_IFNAME or the host's. */
    private static org.bytedeco.pytorch.gloo.Device device(String host) {
        String ifname = System.getenv("SPHERICAL_GLOO_IFNAME");
        if (ifname != null && !ifname.isBlank()) {
            return ProcessGroupGloo.createDeviceForInterface(ifname);
        }
        if (host.equals("localhost") || host.startsWith("127.")) {
            return ProcessGroupGloo.createDeviceForHostname("127.0.0.1");
        }
        return ProcessGroupGloo.createDefaultDevice();
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public void allReduceSum(float[] data, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, data.length);
        if (length == 0) {
            return;
        }
        FloatPointer p = (FloatPointer) floats.ensure(length);
        p.position(0).put(data, offset, length);
        run(group.allreduce(floats.vector(length)));
        p.position(0).get(data, offset, length);
        bytes += 2L * (size - 1) * length * Float.BYTES / size;
    }

    @Override
    public void allGather(float[] mine, int count, float[] all) {
        int n = check(count, mine.length, all.length);
        ((FloatPointer) floats.ensure(count)).position(0).put(mine, 0, count);
        FloatPointer out = (FloatPointer) gathered.ensure(n);
        run(group._allgather_base(gathered.tensor(n), floats.tensor(count)));
        out.position(0).get(all, 0, n);
        bytes += (long) (size - 1) * count * Float.BYTES;
    }

    @Override
    public void allGather(int[] mine, int count, int[] all) {
        int n = check(count, mine.length, all.length);
        ((IntPointer) ints.ensure(count)).position(0).put(mine, 0, count);
        IntPointer out = (IntPointer) gatheredInts.ensure(n);
        run(group._allgather_base(gatheredInts.tensor(n), ints.tensor(count)));
        out.position(0).get(all, 0, n);
        bytes += (long) (size - 1) * count * Integer.BYTES;
    }

    @Override
    public void broadcast(float[] data, int root) {
        if (root < 0 || root >= size) {
            throw new IllegalArgumentException("root " + root + " of " + size);
        }
        FloatPointer p = (FloatPointer) floats.ensure(data.length);
        p.position(0).put(data);
        org.bytedeco.pytorch.BroadcastOptions o = new org.bytedeco.pytorch.BroadcastOptions();
        o.rootRank(root);
        run(group.broadcast(floats.vector(data.length), o));
        p.position(0).get(data);
        if (rank == root) {
            bytes += (long) (size - 1) * data.length * Float.BYTES;
        }
    }

    @Override
    public void barrier() {
        run(group.barrier());
    }

    @Override
    public long bytesSent() {
        return bytes;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            floats.close();
            gathered.close();
            ints.close();
            gatheredInts.close();
            group.close();
            rendezvous.close();
        }
    }

    /** The gathered length, after checking that the arrays hold it. */
    private int check(int count, int mine, int all) {
        long n = (long) count * size;
        if (count < 0 || count > mine || n > all) {
            throw new IllegalArgumentException("gather of " + count + " of " + mine + " per rank into " + all + " for "
                    + size + " ranks");
        }
        return (int) n;
    }

    /** Waits for an operation; a peer that is gone becomes one clear line. */
    private void run(Work w) {
        try {
            w._wait();
        } catch (RuntimeException e) {
            throw new UserException("Worker " + rank + " of " + size + ": a collective operation failed ("
                    + Rendezvous.oneLine(e.getMessage()) + "); another worker has stopped or cannot be reached. Fix: "
                    + "relaunch every worker with --resume; training continues from the last checkpoint.", e);
        } finally {
            w.close();
        }
    }

    /** An off-heap buffer and the tensors viewing its first n elements (kept for the last n asked). */
    private static final class Staging {
        private final ScalarType type;
        private Pointer data;
        private long capacity;
        private Tensor tensor;
        private TensorVector vector;
        private long viewed = -1;

        Staging(ScalarType type) {
            this.type = type;
        }

        Pointer ensure(long n) {
            if (n > capacity) {
                long next = Math.max(n, capacity * 2);
                close();
                capacity = next;
                data = type == ScalarType.Float ? new FloatPointer(capacity) : new IntPointer(capacity);
            }
            return data;
        }

        Tensor tensor(long n) {
            if (n != viewed) {
                if (tensor != null) {
                    vector.close();
                    tensor.close();
                }
                data.position(0);
                tensor = torch.from_blob(data, new long[] {n}, new TensorOptions(type));
                vector = new TensorVector(tensor);
                viewed = n;
            }
            return tensor;
        }

        TensorVector vector(long n) {
            tensor(n);
            return vector;
        }

        void close() {
            if (tensor != null) {
                vector.close();
                tensor.close();
                tensor = null;
                vector = null;
            }
            viewed = -1;
            if (data != null) {
                data.close();
                data = null;
            }
            capacity = 0;
        }
    }
}
