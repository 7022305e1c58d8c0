package io.spherical.distributed;

import io.spherical.api.Collective;
import io.spherical.api.CollectiveProvider;
import io.spherical.api.GroupAddress;

/**
 * Gloo as the collective library of data-parallel training. Constructing it loads nothing; {@link #join} loads
 * libtorch's natives (about 330 MB, unpacked once into JavaCPP's cache: call {@link #preload()} in the parent before
 * starting several local workers, so that they do not unpack it at the same time).
 */
public final class GlooProvider implements CollectiveProvider {
    @Override
    public String name() {
        return "gloo";
    }

    @Override
    public Collective join(int rank, int size, GroupAddress at) {
        return new GlooCollective(rank, size, at);
    }

    @Override
    public void prepare() {
        preload();
    }

    /** Loads (and, the first time on a machine, unpacks) the native libraries. */
    public static void preload() {
        org.bytedeco.javacpp.Loader.load(org.bytedeco.pytorch.global.torch.class);
    }
}
