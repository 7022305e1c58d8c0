// Kernels of the Spherical OpenCL backend. Every tensor is a buffer plus an offset in floats; matrices are row-major.
// Work-group-per-row kernels take a __local scratch array of the work-group size.

// OP_<UnaryOp> and RED_<Reduction> are defined by OpenClBackend from the Java enums' ordinals, before this text.

__kernel void fill(__global float* x, int xo, int n, float v) {
    int i = get_global_id(0);
    if (i < n) x[xo + i] = v;
}

__kernel void scale(__global float* x, int xo, int n, float a) {
    int i = get_global_id(0);
    if (i < n) x[xo + i] *= a;
}

__kernel void add_scalar(__global float* x, int xo, int n, float a) {
    int i = get_global_id(0);
    if (i < n) x[xo + i] += a;
}

__kernel void axpy(__global const float* x, int xo, __global float* y, int yo, int n, float a) {
    int i = get_global_id(0);
    if (i < n) y[yo + i] += a * x[xo + i];
}

__kernel void map(__global const float* x, int xo, __global float* o, int oo, int n, int op) {
    int i = get_global_id(0);
    if (i >= n) return;
    float v = x[xo + i];
    float r;
    switch (op) {
        case OP_IDENTITY: r = v; break;
        case OP_RELU: r = (v > 0.0f || isnan(v)) ? v : 0.0f; break;
        case OP_TANH: r = tanh(v); break;
        case OP_SIGMOID: r = v >= 0.0f ? 1.0f / (1.0f + exp(-v)) : exp(v) / (1.0f + exp(v)); break;
        case OP_EXP: r = exp(v); break;
        case OP_LOG: r = log(v); break;
        case OP_SQUARE: r = v * v; break;
        case OP_SQRT: r = sqrt(v); break;
        default: r = 1.0f / v; break;
    }
    o[oo + i] = r;
}

__kernel void map_backward(__global const float* y, int yo, __global const float* g, int go,
                           __global float* o, int oo, int n, int op) {
    int i = get_global_id(0);
    if (i >= n) return;
    float v = y[yo + i];
    float d;
    switch (op) {
        case OP_IDENTITY: d = 1.0f; break;
        case OP_RELU: d = v > 0.0f ? 1.0f : 0.0f; break;
        case OP_TANH: d = 1.0f - v * v; break;
        case OP_SIGMOID: d = v * (1.0f - v); break;
        default: d = v; break;
    }
    float gv = g[go + i];
    o[oo + i] = (op == OP_RELU && !(v > 0.0f)) ? 0.0f : gv * d;
}

__kernel void mul(__global const float* a, int ao, __global const float* b, int bo, __global float* o, int oo, int n) {
    int i = get_global_id(0);
    if (i < n) o[oo + i] = a[ao + i] * b[bo + i];
}

__kernel void scale_rows(__global const float* x, int xo, __global const float* v, int vo,
                         __global float* o, int oo, int rows, int cols) {
    int i = get_global_id(0);
    if (i < rows * cols) o[oo + i] = x[xo + i] * v[vo + i / cols];
}

__kernel void scale_cols(__global const float* x, int xo, __global const float* v, int vo,
                         __global float* o, int oo, int rows, int cols) {
    int i = get_global_id(0);
    if (i < rows * cols) o[oo + i] = x[xo + i] * v[vo + i % cols];
}

__kernel void add_row_vector(__global const float* v, int vo, __global float* x, int xo, int rows, int cols, float a) {
    int i = get_global_id(0);
    if (i < rows * cols) x[xo + i] += a * v[vo + i % cols];
}

inline float combine(int op, float acc, float v) {
    if (op == RED_MAX) return (isnan(acc) || isnan(v)) ? NAN : (v > acc ? v : acc);
    return acc + v;
}

inline float lift(int op, float v) {
    return op == RED_SUM_SQUARES ? v * v : v;
}

/* One work-group per row; a tree reduction in local memory. */
__kernel void reduce_rows(__global const float* x, int xo, int rows, int cols, __global float* o, int oo, int op,
                          __local float* s) {
    int r = get_group_id(0);
    int l = get_local_id(0);
    int L = get_local_size(0);
    float acc = op == RED_MAX ? -INFINITY : 0.0f;
    for (int j = l; j < cols; j += L) acc = combine(op, acc, lift(op, x[xo + r * cols + j]));
    s[l] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int w = L / 2; w > 0; w /= 2) {
        if (l < w) s[l] = combine(op, s[l], s[l + w]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (l == 0) o[oo + r] = s[0];
}

/* One work-item per column, rows in order. */
__kernel void reduce_cols(__global const float* x, int xo, int rows, int cols, __global float* o, int oo, int op) {
    int j = get_global_id(0);
    if (j >= cols) return;
    float acc = op == RED_MAX ? -INFINITY : 0.0f;
    for (int i = 0; i < rows; i++) acc = combine(op, acc, lift(op, x[xo + i * cols + j]));
    o[oo + j] = acc;
}

__kernel void row_dot(__global const float* a, int ao, __global const float* b, int bo, int rows, int cols,
                      __global float* o, int oo, __local float* s) {
    int r = get_group_id(0);
    int l = get_local_id(0);
    int L = get_local_size(0);
    float acc = 0.0f;
    for (int j = l; j < cols; j += L) acc += a[ao + r * cols + j] * b[bo + r * cols + j];
    s[l] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int w = L / 2; w > 0; w /= 2) {
        if (l < w) s[l] += s[l + w];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (l == 0) o[oo + r] = s[0];
}

__kernel void gather_rows(__global const float* src, int so, __global const int* idx, __global float* o, int oo,
                          int n, int cols) {
    int i = get_global_id(0);
    if (i < n * cols) o[oo + i] = src[so + idx[i / cols] * cols + i % cols];
}

/* Deterministic scatter-add: one work-item per column, the rows in their given order (repeats accumulate). */
__kernel void scatter_add_rows(__global const float* src, int so, __global const int* idx, int n,
                               __global float* dst, int dof, int cols, float a) {
    int j = get_global_id(0);
    if (j >= cols) return;
    for (int i = 0; i < n; i++) dst[dof + idx[i] * cols + j] += a * src[so + i * cols + j];
}

__kernel void gather_elements(__global const float* x, int xo, __global const int* c, int rows, int cols,
                              __global float* o, int oo) {
    int i = get_global_id(0);
    if (i < rows) o[oo + i] = x[xo + i * cols + c[i]];
}

__kernel void add_to_elements(__global float* x, int xo, __global const float* v, int vo, __global const int* c,
                              int rows, int cols, float a) {
    int i = get_global_id(0);
    if (i < rows) x[xo + i * cols + c[i]] += a * v[vo + i];
}

__kernel void copy_columns(__global const float* src, int so, int scols, int sc, __global float* dst, int dof,
                           int dcols, int dc, int rows, int count) {
    int i = get_global_id(0);
    if (i >= rows * count) return;
    int r = i / count;
    int j = i % count;
    dst[dof + r * dcols + dc + j] = src[so + r * scols + sc + j];
}

__kernel void log_softmax_rows(__global const float* x, int xo, __global float* o, int oo, int rows, int cols,
                               __local float* s) {
    int r = get_group_id(0);
    int l = get_local_id(0);
    int L = get_local_size(0);
    float mx = -INFINITY;
    for (int j = l; j < cols; j += L) mx = combine(RED_MAX, mx, x[xo + r * cols + j]);
    s[l] = mx;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int w = L / 2; w > 0; w /= 2) {
        if (l < w) s[l] = combine(RED_MAX, s[l], s[l + w]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    mx = s[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    float sum = 0.0f;
    for (int j = l; j < cols; j += L) sum += exp(x[xo + r * cols + j] - mx);
    s[l] = sum;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int w = L / 2; w > 0; w /= 2) {
        if (l < w) s[l] += s[l + w];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float lse = mx + log(s[0]);
    for (int j = l; j < cols; j += L) o[oo + r * cols + j] = x[xo + r * cols + j] - lse;
}

__kernel void target_ranks(__global const float* x, int xo, __global const int* t, int rows, int cols,
                           __global int* ranks, __local int* s) {
    int r = get_group_id(0);
    int l = get_local_id(0);
    int L = get_local_size(0);
    float tv = x[xo + r * cols + t[r]];
    int count = 0;
    for (int j = l; j < cols; j += L) count += x[xo + r * cols + j] >= tv ? 1 : 0;
    s[l] = count;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int w = L / 2; w > 0; w /= 2) {
        if (l < w) s[l] += s[l + w];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (l == 0) ranks[r] = isnan(tv) ? cols : s[0];
}

inline bool better(float a, int i, float b, int j) {
    bool an = isnan(a);
    bool bn = isnan(b);
    if (an || bn) return an == bn ? i < j : bn;
    return a > b || (a == b && i < j);
}

/* One work-item per row: insertion into the row's k slots of the output (O(cols k) worst case). */
__kernel void topk_rows(__global const float* x, int xo, int rows, int cols, int k, __global int* out) {
    int r = get_global_id(0);
    if (r >= rows || k == 0) return;
    __global int* best = out + r * k;
    int filled = 0;
    for (int j = 0; j < cols; j++) {
        float v = x[xo + r * cols + j];
        if (filled == k && !better(v, j, x[xo + r * cols + best[k - 1]], best[k - 1])) continue;
        int p = filled < k ? filled++ : k - 1;
        while (p > 0 && better(v, j, x[xo + r * cols + best[p - 1]], best[p - 1])) {
            best[p] = best[p - 1];
            p--;
        }
        best[p] = j;
    }
}

/* One work-item per (row, segment). */
__kernel void segmented_log_softmax(__global const float* x, int xo, __global float* o, int oo,
                                    __global const float* off, int fo, __global const int* starts, int ns,
                                    int rows, int cols) {
    int id = get_global_id(0);
    if (id >= rows * ns) return;
    int r = id / ns;
    int g = id % ns;
    int a = starts[g];
    int e = g + 1 < ns ? starts[g + 1] : cols;
    float mx = -INFINITY;
    for (int j = a; j < e; j++) mx = combine(RED_MAX, mx, x[xo + r * cols + j]);
    float sum = 0.0f;
    for (int j = a; j < e; j++) sum += exp(x[xo + r * cols + j] - mx);
    float shift = mx + log(sum) - off[fo + r * ns + g];
    for (int j = a; j < e; j++) o[oo + r * cols + j] = x[xo + r * cols + j] - shift;
}
