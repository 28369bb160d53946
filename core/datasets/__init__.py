"""Load a classification dataset as flat float32 train/valid/test arrays.

Inputs understood (``load.py`` dispatches by folder, suffix, then magic bytes):

* an ``.npz`` archive (``images``/``labels``, ``x``/``y``, optional ``class_names``,
  or already split into ``x_train``/``y_train``, ``x_valid``/``y_valid``, ``x_test``/``y_test``);
* a ``.npy`` pair (``x.npy`` + ``y.npy``, ...), a CSV (``.csv``, ``.csv.gz``) with a label column;
* a folder of class folders of image files (``images.py``, decoded once and cached);
* a directory of MNIST-style IDX files; the bundled Fashion-MNIST subset.

Whatever the input, the result is a :class:`Dataset`: rows ``(n, n_features)`` float32
(pixels in [0, 1], or features standardised with the train set's statistics: see
``preprocess.py``) and labels ``(n,)`` int64 indices into its class names. Every
failure raises :class:`DatasetError` with a one-line message naming the file and the
problem; ``safety.py`` refuses special files and oversized arrays before reading.
Archives are always opened with ``allow_pickle=False``.
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
