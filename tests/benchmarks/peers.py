"""Peer comparison: the course epoch in nntrain, PyTorch CPU and scikit-learn, next to
the BLAS bound, interleaved in one process so machine noise hits all of them alike.

    python tests/benchmarks/peers.py [--epochs K] [--dtype float32|float64|both] [--json FILE]

A peer that is not installed is skipped with a message (PyTorch: `pip install
torch==2.13.0`, the CPU build; scikit-learn: `pip install scikit-learn`). Not part of
the test suite: it measures, it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings

import numpy as np

from core import TrainConfig, Trainer
from core.benchmark import COURSE_TEST, COURSE_VALID, BoundEpoch, blas_info, synthetic_data


def nntrain_epochs(data, dtype):
    config = TrainConfig(hidden=(1000,), epochs=10_000, batch_size=0, dtype=dtype, lr=1e-5, reduction="sum", momentum=0.99)
    run = Trainer(config, data).run()
    return lambda: next(run).seconds


def torch_epochs(data, dtype):
    import torch

    torch.manual_seed(0)
    tdt = getattr(torch, dtype)
    X, y = torch.from_numpy(data.x_train.astype(dtype)), torch.from_numpy(data.y_train)
    evals = [torch.from_numpy(x.astype(dtype)) for x in (data.x_valid, data.x_test)]
    model = torch.nn.Sequential(torch.nn.Linear(784, 1000), torch.nn.ReLU(), torch.nn.Linear(1000, 10)).to(tdt)
    opt = torch.optim.SGD(model.parameters(), lr=1e-5, momentum=0.99)
    loss_fn = torch.nn.CrossEntropyLoss(reduction="sum")

    def epoch():
        start = time.perf_counter()
        opt.zero_grad(set_to_none=False)
        loss = loss_fn(model(X), y)
        loss.backward()
        opt.step()
        with torch.no_grad():
            for x in evals:
                model(x)
        return time.perf_counter() - start

    return epoch


def sklearn_epochs(data, dtype):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X, y = data.x_train.astype(dtype), data.y_train
    evals = [x.astype(dtype) for x in (data.x_valid, data.x_test)]
    clf = MLPClassifier(hidden_layer_sizes=(1000,), solver="sgd", momentum=0.99, nesterovs_momentum=False,
                        batch_size=len(y), learning_rate_init=1e-3, max_iter=1, shuffle=False, random_state=0)
    classes = np.arange(10)

    def epoch():
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.partial_fit(X, y, classes=classes)
        for x in evals:
            clf.predict_proba(x)
        return time.perf_counter() - start

    return epoch


PEERS = {"nntrain": nntrain_epochs, "pytorch": torch_epochs, "scikit-learn": sklearn_epochs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--dtype", choices=("float32", "float64", "both"), default="both")
    parser.add_argument("--json")
    args = parser.parse_args()
    print(f"BLAS: {blas_info()}")
    try:
        import torch

        print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads")
    except ImportError:
        pass
    data = synthetic_data(10000, COURSE_VALID, COURSE_TEST)
    report = {"blas": blas_info(), "results": {}}
    for dtype in ("float32", "float64") if args.dtype == "both" else (args.dtype,):
        bound = BoundEpoch(data, (1000,), 10000, dtype)
        runners = {"bound": bound.run}
        for name, make in PEERS.items():
            try:
                runners[name] = make(data, dtype)
            except ImportError as exc:
                print(f"{name}: skipped, not installed ({exc.name}); see this file's docstring")
        for fn in runners.values():  # warm-up
            fn()
        times = {name: [] for name in runners}
        for _ in range(args.epochs):
            for name, fn in runners.items():
                times[name].append(fn())
        med = {name: statistics.median(t) for name, t in times.items()}
        report["results"][dtype] = {"median_s": med, "samples": times}
        print(f"\n{dtype}: median of {args.epochs} full-batch course epochs (10000 train + 8720 evaluated)")
        for name, t in med.items():
            print(f"  {name:13} {t:7.3f} s   {t / med['bound']:5.2f}x bound")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
