"""`nntrain bench`: an epoch against the BLAS bound, in one process, with a report."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from ..errors import UserError


def run(args: argparse.Namespace) -> int:
    from core.config import coerce

    from core.benchmark import (
        COURSE_TEST,
        COURSE_VALID,
        blas_info,
        diagnostics_cost,
        measure,
        memory_probe,
        python_overhead_us,
        synthetic_data,
        train_eval_cost,
    )

    hidden = coerce("hidden", args.hidden)
    batch = coerce("batch_size", args.batch_size)
    if args.n < 1 or args.epochs < 1 or min(hidden) < 1 or batch < 0:
        raise UserError("--n, --epochs, --hidden and --batch-size must be positive")
    dtypes = ("float32", "float64") if args.dtype == "both" else (args.dtype,)
    print(f"BLAS: {blas_info()}")
    print(f"shape: {args.n} train + {COURSE_VALID} valid + {COURSE_TEST} test images of 784 pixels, "
          f"hidden {','.join(map(str, hidden))}, 10 classes; median of {args.epochs} epochs after a warm-up")
    data = synthetic_data(args.n, COURSE_VALID, COURSE_TEST)
    report: dict = {"blas": blas_info(), "n": args.n, "hidden": list(hidden), "epochs": args.epochs, "results": []}

    print(f"\n{'dtype':8} {'batch':>6} {'bound s':>8} {'nntrain s':>9} {'ratio':>6} {'GFLOP/s':>8} {'epochs/s':>8} {'overhead/batch':>15} {'paired q1-q3':>13}")
    batches = [batch] + ([32, 128, 512] if args.minibatch else [])
    for dtype in dtypes:
        for b in batches:
            r = measure(data, hidden, b, dtype, args.epochs)
            report["results"].append(r.to_dict())
            print(f"{r.dtype:8} {r.batch:>6} {r.bound_s:8.3f} {r.nntrain_s:9.3f} {r.ratio:6.3f} {r.gflops:8.1f} "
                  f"{r.epochs_per_s:8.2f} {r.overhead_us_per_batch:12.0f} us {r.paired_q1:6.3f}-{r.paired_q3:.3f}")

    report["train_eval"] = [train_eval_cost(data, hidden, dtype, args.epochs) for dtype in dtypes]
    print("\ntrain eval (a clean forward pass over the training set; full batch without dropout reuses it as the"
          " next epoch's forward, so the rows above include it; mini-batch rows are without it and a\n"
          "  mini-batch or dropout run with train eval on pays this per epoch), against a full-batch epoch: " + "; ".join(
        f"{t['dtype']} {t['eval_s']:.3f} s, {t['percent']:.1f}% (paired {t['paired_q1']:.0f}-{t['paired_q3']:.0f}%)"
        for t in report["train_eval"]))

    report["diagnostics"] = [diagnostics_cost(data, hidden, b, dtype, args.epochs)
                             for dtype in dtypes for b in sorted({batch, 128})]
    print("\nper-layer diagnostics (included in the rows above), epoch time with / without: " + "; ".join(
        f"{d['dtype']} batch {d['batch'] or 'full'} {d['ratio']:.3f}" for d in report["diagnostics"]))

    if args.minibatch:
        report["python_overhead_us"] = python_overhead_us()
        print(f"\nper-batch fixed cost (Python + NumPy calls, 784-1-10 network, batch 32): "
              f"{report['python_overhead_us']:.0f} us")

    print("\npeak memory, full batch, 2 epochs in a fresh process (dataset + 2 x parameters + optimizer + activations):")
    report["memory"] = []
    for dtype in dtypes:
        m = memory_probe(args.n, hidden, dtype)
        report["memory"].append(m)
        print(f"  {dtype}: used {m['used_mb']:.0f} MB, expected {m['expected_mb']:.0f} MB, ratio {m['ratio']:.2f} (peak RSS {m['peak_rss_mb']:.0f} MB)")

    report["startup"] = startup_times()
    print("\nstart-up: " + ", ".join(f"`{k}` {v * 1000:.0f} ms" for k, v in report["startup"].items()))

    if args.tui:
        from ..benchmark_tui import tui_overhead

        report["tui"] = []
        print("\nTUI: per-epoch training time in the app vs headless (bundled data, same config):")
        for b in (batch, 128) if batch != 128 else (batch,):
            t = tui_overhead(hidden, b, dtypes[0], args.epochs)
            report["tui"].append(t)
            lag = t["key_lag_ms"]
            print(f"  batch {t['batch']} at {t['size']}: {t['app_s']:.3f} s in the app vs {t['cli_s']:.3f} s headless: "
                  f"{100 * (t['ratio'] - 1):+.1f}%; event-loop lag p50 {lag['p50']:.0f} ms, p99 {lag['p99']:.0f} ms, "
                  f"max {lag['max']:.0f} ms")

    if args.json:
        from core.atomic import write_text

        write_text(args.json, json.dumps(report, indent=1) + "\n")
        print(f"\nwrote {args.json}")
    return 0


# Process start to the app's first frame, headless at 80x24, imports included.
_APP_FIRST_FRAME = (
    "from tui.app import NNTrainApp\n"
    "class A(NNTrainApp):\n"
    "    def on_ready(self):\n"
    "        self.exit(0)\n"
    "A().run(headless=True, size=(80, 24))\n"
)


def startup_times(repeats: int = 5) -> dict[str, float]:
    """Best-of-N wall time, in fresh processes, of `nntrain --help`, `nntrain train
    --help` and the app's first frame."""
    commands = {
        "nntrain --help": ["-m", "tui.cli", "--help"],
        "nntrain train --help": ["-m", "tui.cli", "train", "--help"],
        "app first frame": ["-c", _APP_FIRST_FRAME],
    }
    out = {}
    for label, argv in commands.items():
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run([sys.executable, *argv], capture_output=True, check=True)
            best = min(best, time.perf_counter() - start)
        out[label] = best
    return out
