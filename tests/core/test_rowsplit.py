"""Row-split elementwise passes give the same network maths as one thread."""

import numpy as np
import pytest

from core import rowsplit
from core.network import Network


def test_blocks_cover_rows_once_and_small_arrays_stay_whole():
    splitter = rowsplit.RowSplitter(threads=3)
    blocks = splitter.blocks(1000, rowsplit.MIN_ELEMENTS)
    assert blocks[0][0] == 0 and blocks[-1][1] == 1000 and len(blocks) == 3
    assert all(a[1] == b[0] for a, b in zip(blocks, blocks[1:]))
    assert splitter.blocks(10, 10) == [(0, 10)]


def test_results_come_back_in_row_order():
    splitter = rowsplit.RowSplitter(threads=4)
    assert splitter.run(lambda lo, hi: (lo, hi), 8, rowsplit.MIN_ELEMENTS) == [(0, 2), (2, 4), (4, 6), (6, 8)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_split_and_single_thread_agree(monkeypatch, dtype, dropout):
    rng = np.random.default_rng(0)
    n, n_in, hidden = 700, 20, (512, 64)  # 700 x 512 is above MIN_ELEMENTS: it gets split
    X = rng.random((n, n_in)).astype(dtype)
    y = rng.integers(0, 5, n)
    results = []
    for threads in (1, 3):
        monkeypatch.setattr(rowsplit, "_shared", rowsplit.RowSplitter(threads))
        net = Network((n_in, *hidden, 5), dtype=dtype, rng=np.random.default_rng(1))
        loss, correct = net.train_batch(X, y, dropout=dropout, rng=np.random.default_rng(2))
        results.append((loss, correct, [g.copy() for g in net.grads], net.forward(X).copy()))
    (l1, c1, g1, f1), (l3, c3, g3, f3) = results
    tol = 1e-5 if dtype == "float32" else 1e-12
    assert c1 == c3 and l1 == pytest.approx(l3, rel=tol)
    # Elementwise work is exact per row; only the bias sums' order of addition differs.
    np.testing.assert_array_equal(f1, f3)
    for a, b in zip(g1, g3):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
