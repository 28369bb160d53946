"""Measure a training epoch against the BLAS bound, side by side in one process.

`bound`: the epoch's unavoidable matrix products alone (forward X@W0, A@W1; backward
A.T@dO, dO@W1.T, X.T@dH; the evaluation's forward products), timed with NumPy on
arrays of the same shapes and dtype: the physical limit of this machine's BLAS.
`nntrain`: real epochs through `core.Trainer`, the code path the CLI and TUI use.
The two are interleaved epoch by epoch so that machine noise hits both alike.
`train_eval_cost`: what one clean forward pass over the training set adds to an epoch;
`diagnostics_cost`: what the per-layer diagnostics add (the `nntrain` rows include them).

NumPy and core only (threadpoolctl, if installed, names the BLAS); `nntrain bench`
(tui/commands/bench.py) prints the report.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np

N_FEATURES, N_CLASSES = 784, 10
COURSE_VALID, COURSE_TEST = 6000, 2720


def blas_info() -> str:
    """Which BLAS library, version, kernel and threads NumPy uses (threadpoolctl if present)."""
    env = ", ".join(f"{k}={os.environ[k]}" for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ)
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return f"numpy {np.__version__}; threadpoolctl not installed (pip install threadpoolctl); {env or 'no OPENBLAS_* overrides'}"
    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    parts = [
        f"{i.get('internal_api')} {i.get('version')} kernel {i.get('architecture')} threads {i.get('num_threads')}"
        for i in blas
    ]
    return f"numpy {np.__version__}; {'; '.join(parts) or 'BLAS unknown'}; {env or 'no OPENBLAS_* overrides'}"


def synthetic_data(n: int, n_valid: int, n_test: int, seed: int = 0):
    """A course-shaped dataset of random pixels: timing depends on shapes, not content."""
    from core.datasets import Dataset

    rng = np.random.default_rng(seed)
    def images(m):
        return rng.random((m, N_FEATURES), dtype=np.float32)
    def labels(m):
        return rng.integers(0, N_CLASSES, m)
    return Dataset(
        name="synthetic", source="benchmark", x_train=images(n), y_train=labels(n),
        x_valid=images(n_valid), y_valid=labels(n_valid), x_test=images(n_test), y_test=labels(n_test),
        class_names=tuple(str(i) for i in range(N_CLASSES)), image_shape=(28, 28), split=f"{n}/{n_valid}/{n_test}",
    )


def epoch_flops(n: int, n_eval: int, sizes: tuple[int, ...]) -> float:
    """Floating-point operations of the epoch's matrix products (2 per multiply-add)."""
    fwd = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    # Backward: dW for every layer, dA for every layer but the first.
    bwd = fwd + sum(a * b for a, b in zip(sizes[1:-1], sizes[2:]))
    return 2.0 * (n * (fwd + bwd) + n_eval * fwd)


class BoundEpoch:
    """The matrix products of one epoch with preallocated outputs (no elementwise work)."""

    def __init__(self, data, hidden: tuple[int, ...], batch: int, dtype: str):
        dt = np.dtype(dtype)
        self.sizes = (N_FEATURES, *hidden, N_CLASSES)
        self.n = len(data.y_train)
        self.batch = batch
        self.x = np.ascontiguousarray(data.x_train, dtype=dt)
        self.evals = [np.ascontiguousarray(x, dtype=dt) for x in (data.x_valid, data.x_test)]
        rng = np.random.default_rng(1)
        self.w = [rng.standard_normal((a, b)).astype(dt) * 0.01 for a, b in zip(self.sizes[:-1], self.sizes[1:])]
        rows = max(batch, *(len(e) for e in self.evals))
        self.z = [np.empty((rows, b), dtype=dt) for b in self.sizes[1:]]
        self.gw = [np.empty_like(w) for w in self.w]

    def _forward(self, x):
        a = x
        for w, z in zip(self.w, self.z):
            out = z[: len(x)]
            np.matmul(a, w, out=out)
            a = out

    def run(self) -> float:
        start = time.perf_counter()
        for s in range(0, self.n, self.batch):
            x = self.x[s : s + self.batch]
            m = len(x)
            self._forward(x)
            for l in range(len(self.w) - 1, -1, -1):
                a_prev = x if l == 0 else self.z[l - 1][:m]
                np.matmul(a_prev.T, self.z[l][:m], out=self.gw[l])
                if l:
                    np.matmul(self.z[l][:m], self.w[l].T, out=self.z[l - 1][:m])
        for x in self.evals:
            self._forward(x)
        return time.perf_counter() - start


@dataclass
class Result:
    dtype: str
    batch: str
    bound_s: float
    nntrain_s: float
    ratio: float
    gflops: float
    epochs_per_s: float
    batches: int
    overhead_us_per_batch: float
    # Quartiles of the epoch-by-epoch ratios (each nntrain epoch over the bound epoch
    # run just before it): how much the machine's noise moves the ratio.
    paired_q1: float = 0.0
    paired_q3: float = 0.0
    samples: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def measure(data, hidden=(1000,), batch_size: int = 0, dtype: str = "float32", epochs: int = 5) -> Result:
    """Interleave K bound epochs and K nntrain epochs after one warm-up of each; medians."""
    from core import TrainConfig, Trainer

    n = len(data.y_train)
    batch = n if batch_size in (0, None) or batch_size >= n else batch_size
    # Full batch runs as by default (its clean train pass is the next epoch's forward, so
    # it costs nothing); mini-batch rows without the clean pass, whose cost
    # `train_eval_cost` reports on its own.
    train_eval = "auto" if batch == n else "off"
    config = TrainConfig(hidden=tuple(hidden), epochs=epochs + 1, batch_size=batch_size, dtype=dtype, lr=1e-3,
                         seed=0, train_eval=train_eval)
    trainer = Trainer(config, data)
    bound = BoundEpoch(data, tuple(hidden), batch, dtype)
    run = trainer.run()
    bound.run()
    next(run)  # warm-up: first-touch page faults, BLAS thread start
    bounds, epochs_s = [], []
    for _ in range(epochs):
        bounds.append(bound.run())
        epochs_s.append(next(run).seconds)
    run.close()
    b, t = statistics.median(bounds), statistics.median(epochs_s)
    paired = sorted(e / bb for e, bb in zip(epochs_s, bounds))
    q1, _, q3 = statistics.quantiles(paired, n=4) if len(paired) > 1 else (paired[0],) * 3
    n_batches = -(-n // batch)
    flops = epoch_flops(n, len(data.y_valid) + len(data.y_test), bound.sizes)
    return Result(
        dtype=dtype, batch="full" if batch == n else str(batch), bound_s=b, nntrain_s=t, ratio=t / b,
        gflops=flops / t / 1e9, epochs_per_s=1.0 / t, batches=n_batches,
        overhead_us_per_batch=(t - b) / n_batches * 1e6, paired_q1=q1, paired_q3=q3,
        samples={"bound": bounds, "nntrain": epochs_s},
    )


def train_eval_cost(data, hidden=(1000,), dtype: str = "float32", epochs: int = 5) -> dict:
    """Seconds of `network.evaluate(x_train, y_train)` (a clean forward pass over the
    training set, the "train eval" that mini-batch and dropout runs pay per epoch) against
    a full-batch epoch without it, interleaved after one warm-up of each; medians, and the
    quartiles of the paired percentages."""
    from core import TrainConfig, Trainer

    config = TrainConfig(hidden=tuple(hidden), epochs=epochs + 1, batch_size=0, dtype=dtype, lr=1e-3, seed=0,
                         train_eval="off")
    trainer = Trainer(config, data)
    net, x, y = trainer.network, trainer.x_train, trainer.y_train
    run = trainer.run()
    next(run)
    net.evaluate(x, y)
    epochs_s, evals = [], []
    for _ in range(epochs):
        epochs_s.append(next(run).seconds)
        start = time.perf_counter()
        net.evaluate(x, y)
        evals.append(time.perf_counter() - start)
    run.close()
    e, t = statistics.median(evals), statistics.median(epochs_s)
    paired = sorted(100 * a / b for a, b in zip(evals, epochs_s))
    q1, _, q3 = statistics.quantiles(paired, n=4) if len(paired) > 1 else (paired[0],) * 3
    return {"dtype": dtype, "eval_s": e, "epoch_s": t, "percent": 100 * e / t, "paired_q1": q1, "paired_q3": q3,
            "samples": {"eval": evals, "epoch": epochs_s}}


def diagnostics_cost(data, hidden=(1000,), batch_size: int = 0, dtype: str = "float32", epochs: int = 5) -> dict:
    """What the per-layer diagnostics (core.diagnostics) add to an epoch: epochs of two
    trainers of the same config, one with the probe switched off, interleaved after a
    warm-up of each; the median of the paired ratios (with / without)."""
    from core import TrainConfig, Trainer

    config = TrainConfig(hidden=tuple(hidden), epochs=epochs + 1, batch_size=batch_size, dtype=dtype, lr=1e-3,
                         seed=0, train_eval="off")
    with_probe, without = Trainer(config, data), Trainer(config, data)
    without.disable_diagnostics()
    runs = (with_probe.run(), without.run())
    for run in runs:
        next(run)
    paired = []
    for _ in range(epochs):
        a, b = (next(run).seconds for run in runs)
        paired.append(a / b)
    for run in runs:
        run.close()
    return {"dtype": dtype, "batch": batch_size, "ratio": statistics.median(paired), "samples": paired}


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB.

    VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss across fork and exec, so
    a probe started from a big benchmark process would report the parent's peak.
    """
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def expected_memory_mb(n: int, n_eval: int, hidden: tuple[int, ...], dtype: str, batch: int) -> float:
    """Dataset + parameters + optimizer state (one velocity) + one epoch's activations
    (each layer's output, and the one-byte ReLU mask backprop needs), in MiB."""
    item = np.dtype(dtype).itemsize
    sizes = (N_FEATURES, *hidden, N_CLASSES)
    params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    rows = max(min(batch, n), min(n_eval, 8192))
    activations = rows * sum(sizes[1:]) * item + rows * sum(hidden)
    dataset = (n + n_eval) * N_FEATURES
    return (item * (dataset + 2 * params) + activations) / 2**20


def current_rss_mb() -> float:
    """Resident memory right now, in MiB (Linux /proc)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory_probe(n: int, hidden: tuple[int, ...], dtype: str) -> dict:
    """Run in a fresh process: peak RSS of two full-batch epochs minus the idle baseline."""
    import subprocess

    code = (
        "import resource, numpy as np\n"
        "from core.benchmark import synthetic_data, peak_rss_mb, current_rss_mb\n"
        "from core import TrainConfig, Trainer\n"
        "base = current_rss_mb()\n"
        f"data = synthetic_data({n}, {COURSE_VALID}, {COURSE_TEST})\n"
        f"t = Trainer(TrainConfig(hidden={tuple(hidden)!r}, epochs=2, batch_size=0, dtype={dtype!r}), data)\n"
        "data = None\n"
        "list(t.run())\n"
        "print(base, peak_rss_mb())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    base, peak = float(out[0]), float(out[1])
    # Everything after the imports counts: the float32 data as a loader returns it,
    # which lives on while the trainer makes its own copy (cast, with the ones column).
    used = peak - base
    expected = expected_memory_mb(n, COURSE_VALID + COURSE_TEST, tuple(hidden), dtype, n)
    return {"dtype": dtype, "peak_rss_mb": peak, "used_mb": used, "expected_mb": expected, "ratio": used / expected}


def python_overhead_us(batch: int = 32, n: int = 6400, epochs: int = 5) -> float:
    """Fixed cost of one mini-batch step (Python and NumPy call overhead), in us.

    Measured on a 784-1-10 network, where the arithmetic of a batch is negligible, so
    what remains is the per-batch bookkeeping every batch size pays.
    """
    from core import TrainConfig, Trainer

    data = synthetic_data(n, 16, 16)
    trainer = Trainer(TrainConfig(hidden=(1,), epochs=epochs + 1, batch_size=batch, lr=1e-3), data)
    seconds = [r.seconds for r in trainer.run()][1:]
    return statistics.median(seconds) / (-(-n // batch)) * 1e6
