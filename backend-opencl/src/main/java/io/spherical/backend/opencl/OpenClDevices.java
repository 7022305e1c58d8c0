package io.spherical.backend.opencl;

import static org.jocl.CL.CL_DEVICE_GLOBAL_MEM_SIZE;
import static org.jocl.CL.CL_DEVICE_MAX_COMPUTE_UNITS;
import static org.jocl.CL.CL_DEVICE_NAME;
import static org.jocl.CL.CL_DEVICE_TYPE;
import static org.jocl.CL.CL_DEVICE_TYPE_ALL;
import static org.jocl.CL.CL_DEVICE_TYPE_GPU;
import static org.jocl.CL.CL_PLATFORM_NAME;
import static org.jocl.CL.clGetDeviceIDs;
import static org.jocl.CL.clGetDeviceInfo;
import static org.jocl.CL.clGetPlatformIDs;
import static org.jocl.CL.clGetPlatformInfo;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/** The OpenCL devices of this machine and the rule that picks one. */
final class OpenClDevices {
    /** System property choosing a device by index (in {@link #list()} order) or by a substring of its name. */
    static final String PROPERTY = "spherical.opencl.device";

    /** One device. */
    record Device(int index, cl_platform_id platform, cl_device_id id, String platformName, String name, boolean gpu,
                  long memory, int computeUnits) {
        String describe() {
            return String.format(Locale.ROOT, "%s %s on %s, %.1f GiB, %d compute units", gpu ? "GPU" : "CPU/other", name,
                    platformName, memory / (double) (1L << 30), computeUnits);
        }
    }

    private OpenClDevices() {
    }

    /** Every device of every platform (loads JOCL's native library, which needs an OpenCL ICD loader). */
    static List<Device> list() {
        int[] n = new int[1];
        if (clGetPlatformIDs(0, null, n) != CL.CL_SUCCESS || n[0] == 0) {
            return List.of(); // the ICD loader found no platform
        }
        cl_platform_id[] platforms = new cl_platform_id[n[0]];
        Cl.ok(clGetPlatformIDs(platforms.length, platforms, null), "clGetPlatformIDs");
        List<Device> out = new ArrayList<>();
        for (cl_platform_id p : platforms) {
            String pname = platformString(p);
            int[] dn = new int[1];
            if (clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, null, dn) != CL.CL_SUCCESS || dn[0] == 0) {
                continue; // a platform without devices
            }
            cl_device_id[] ids = new cl_device_id[dn[0]];
            Cl.ok(clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, ids.length, ids, null), "clGetDeviceIDs");
            for (cl_device_id id : ids) {
                long type = deviceLong(id, CL_DEVICE_TYPE);
                out.add(new Device(out.size(), p, id, pname, deviceString(id), (type & CL_DEVICE_TYPE_GPU) != 0,
                        deviceLong(id, CL_DEVICE_GLOBAL_MEM_SIZE), (int) deviceInt(id, CL_DEVICE_MAX_COMPUTE_UNITS)));
            }
        }
        return out;
    }

    /** The device asked for by {@value #PROPERTY}, else the first GPU, else the first device; null when none. */
    static Device choose(List<Device> devices) {
        String want = System.getProperty(PROPERTY);
        if (want != null && !want.isBlank()) {
            try {
                int i = Integer.parseInt(want.trim());
                return i >= 0 && i < devices.size() ? devices.get(i) : null;
            } catch (NumberFormatException e) {
                String w = want.toLowerCase(Locale.ROOT);
                return devices.stream().filter(d -> d.name().toLowerCase(Locale.ROOT).contains(w)).findFirst().orElse(null);
            }
        }
        return devices.stream().filter(Device::gpu).findFirst().orElse(devices.isEmpty() ? null : devices.get(0));
    }

    private static String platformString(cl_platform_id p) {
        long[] size = new long[1];
        Cl.ok(clGetPlatformInfo(p, CL_PLATFORM_NAME, 0, null, size), "clGetPlatformInfo");
        byte[] buf = new byte[(int) size[0]];
        Cl.ok(clGetPlatformInfo(p, CL_PLATFORM_NAME, buf.length, Pointer.to(buf), null), "clGetPlatformInfo");
        return new String(buf, 0, Math.max(0, buf.length - 1)).strip();
    }

    private static String deviceString(cl_device_id d) {
        long[] size = new long[1];
        Cl.ok(clGetDeviceInfo(d, CL_DEVICE_NAME, 0, null, size), "clGetDeviceInfo");
        byte[] buf = new byte[(int) size[0]];
        Cl.ok(clGetDeviceInfo(d, CL_DEVICE_NAME, buf.length, Pointer.to(buf), null), "clGetDeviceInfo");
        return new String(buf, 0, Math.max(0, buf.length - 1)).strip();
    }

    private static long deviceLong(cl_device_id d, int what) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
        Cl.ok(clGetDeviceInfo(d, what, 8, Pointer.to(b), null), "clGetDeviceInfo");
        return b.getLong(0);
    }

    private static long deviceInt(cl_device_id d, int what) {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder());
        Cl.ok(clGetDeviceInfo(d, what, 4, Pointer.to(b), null), "clGetDeviceInfo");
        return b.getInt(0) & 0xffffffffL;
    }
}
