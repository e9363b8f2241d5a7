"""The numpy side of `npm run bench`: the seed's own code (and fixtures/generate.py's numpy
backward, written in the seed's style) timed the way a user would run it.

  python3 bench/numpy_side.py forward CELL FILE.npz        whole process: load, forward, print
  python3 bench/numpy_side.py backward CELL FILE.npz       whole process: load, forward, backward
                                                            of the sum loss (da), print
  python3 bench/numpy_side.py engine CELL n_x n_a n_y m T_x REPS
                                                            median seconds per forward+backward
  python3 bench/numpy_side.py gradcheck CELL n_x n_a n_y m T_x
                                                            seconds for a plain full gradient check
  python3 bench/numpy_side.py peak                          GFLOP/s of a 2048x2048 matmul (best of 5)

numpy keeps its default BLAS threading here (generate.py pins one thread for reproducible
fixtures; a benchmark should see numpy as users get it).
"""
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", str(os.cpu_count() or 1))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import numpy as np  # noqa: E402
import generate as g  # noqa: E402



def forward_file(cell, path):
    inp = dict(np.load(path))
    out, _ = g.CELLS[cell]["run"](inp)
    print(out["a"].shape, float(out["y"][0, 0, -1]))


def backward_file(cell, path):
    """What `rnn backward --cell CELL FILE.npz` does on a fixture with da: the seed's forward, its backward of da."""
    inp = dict(np.load(path))
    _, caches = g.CELLS[cell]["run"](inp)
    grads = g.CELLS[cell]["backward"](inp["da"], caches)
    print(grads["dx"].shape, float(grads["da0"][0, 0]))


def inputs(cell, n_x, n_a, n_y, m, T_x):
    return g.draw_inputs(cell, {"n_x": n_x, "n_a": n_a, "n_y": n_y, "m": m, "T_x": T_x}, 1, 1.0, False)


def engine(cell, dims, reps):
    """Forward, then backward of the xent loss (head included), as one pass."""
    inp = inputs(cell, *dims)
    spec = g.CELLS[cell]
    W, _ = spec["head"]
    times = []
    for _ in range(reps + 2):
        t0 = time.perf_counter()
        out, caches = spec["run"](inp)
        da, _dW, _db = g.xent_head_backward(out["y"], inp["labels"], out["a"], inp[W])
        spec["backward"](da, caches)
        times.append(time.perf_counter() - t0)
    times = sorted(times[2:])
    print(times[len(times) // 2])


def gradcheck(cell, dims):
    """Every entry of every parameter and of x, a0 (c0), centred differences of the sum loss."""
    inp = inputs(cell, *dims)
    da = inp["da"]

    spec = g.CELLS[cell]

    def loss():
        return g.loss_sum(spec["run"](inp)[0]["a"], da)

    t0 = time.perf_counter()
    _, caches = spec["run"](inp)
    spec["backward"](da, caches)  # the analytic side
    recurrent = [name for name, _ in spec["shapes"](*dims[:3]) if name not in spec["head"]]
    names = recurrent + ["x"] + list(spec["state"])
    eps = 1e-6
    for name in names:
        arr = inp[name]
        flat = arr.reshape(-1)
        for k in range(flat.size):
            keep = flat[k]
            flat[k] = keep + eps
            up = loss()
            flat[k] = keep - eps
            down = loss()
            flat[k] = keep
            _ = (up - down) / (2 * eps)
    print(time.perf_counter() - t0)


def peak(n=2048):
    a = np.random.rand(n, n)
    b = np.random.rand(n, n)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(5))
    print(2 * n**3 / best / 1e9)


def _timed(f):
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "forward":
        forward_file(sys.argv[2], sys.argv[3])
    elif what == "backward":
        backward_file(sys.argv[2], sys.argv[3])
    elif what == "engine":
        engine(sys.argv[2], [int(v) for v in sys.argv[3:8]], int(sys.argv[8]))
    elif what == "gradcheck":
        gradcheck(sys.argv[2], [int(v) for v in sys.argv[3:8]])
    elif what == "peak":
        peak()
    else:
        sys.exit(f"unknown: {what}")
