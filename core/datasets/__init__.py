"""Load an image-classification dataset as flat float32 train/valid/test arrays.

Three kinds of input are understood:

* an ``.npz`` archive holding ``images``/``labels`` (the course's ``notMNIST.npz``)
  or ``x``/``y``, optionally ``class_names``; or one already split into
  ``x_train``/``y_train``, ``x_valid``/``y_valid`` (optional) and ``x_test``/``y_test``;
* a directory of MNIST-style IDX files (``train-images-idx3-ubyte[.gz]``, ...);
* the bundled Fashion-MNIST subset (``path=None`` or ``"bundled"``).

Whatever the input, the result is a :class:`Dataset` whose images are
``(n, n_features)`` float32 in [0, 1] and whose labels are ``(n,)`` int64.
Every failure raises :class:`DatasetError` with a one-line message naming the
file and the problem, so a CLI or a TUI can show it as it is.

Archives are always opened with ``allow_pickle=False``: a dataset is data, and
unpickling would let a downloaded file run code.
"""

from .bundled import BUNDLED, BUNDLED_FILE, BUNDLED_NAME, bundled_path
from .dataset import IMAGE, TABULAR, Dataset, DatasetError
from .idx import IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC
from .load import load_dataset
from .npz import NPZ_READ_ERRORS
from .preprocess import PIXELS, STANDARDISE, Preprocess
from .split import COURSE_SEED, COURSE_SPLIT, DEFAULT_FRACTIONS, parse_split
from .validate import FASHION_CLASS_NAMES, LETTER_CLASS_NAMES, MAX_CLASSES

__all__ = [
    "BUNDLED",
    "BUNDLED_FILE",
    "BUNDLED_NAME",
    "COURSE_SEED",
    "COURSE_SPLIT",
    "DEFAULT_FRACTIONS",
    "FASHION_CLASS_NAMES",
    "IMAGE",
    "PIXELS",
    "STANDARDISE",
    "TABULAR",
    "Preprocess",
    "IDX_IMAGES_MAGIC",
    "IDX_LABELS_MAGIC",
    "LETTER_CLASS_NAMES",
    "MAX_CLASSES",
    "NPZ_READ_ERRORS",
    "Dataset",
    "DatasetError",
    "bundled_path",
    "load_dataset",
    "parse_split",
]
