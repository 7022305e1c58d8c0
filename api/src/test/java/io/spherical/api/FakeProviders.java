package io.spherical.api;

/** Providers used only to test discovery rules. */
final class FakeProviders {
    private FakeProviders() {
    }

    abstract static class Fake implements BackendProvider {
        @Override
        public Backend create() {
            throw new UnsupportedOperationException("fake provider " + name());
        }
    }

    /** Available, priority 20. */
    public static final class Alpha extends Fake {
        @Override public String name() { return "alpha"; }
        @Override public int priority() { return 20; }
        @Override public Probe probe() { return Probe.available("alpha device"); }
    }

    /** Available, priority 20 (ties with alpha; alpha wins by name). */
    public static final class Beta extends Fake {
        @Override public String name() { return "beta"; }
        @Override public int priority() { return 20; }
        @Override public Probe probe() { return Probe.available("beta device"); }
    }

    /** Unavailable, highest priority. */
    public static final class Down extends Fake {
        @Override public String name() { return "down"; }
        @Override public int priority() { return 1000; }
        @Override public Probe probe() { return Probe.unavailable("no device plugged in"); }
    }

    /** Its probe throws; it must count as unavailable. */
    public static final class Exploding extends Fake {
        @Override public String name() { return "exploding"; }
        @Override public int priority() { return 999; }
        @Override public Probe probe() { throw new IllegalStateException("driver crashed"); }
    }
}
