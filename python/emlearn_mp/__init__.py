"""Host-side tools for the emlearn MicroPython modules.

Submodules (import them directly; this package imports nothing eagerly so that
``python3 -m emlearn_mp.trees`` runs without import side effects):

- :mod:`emlearn_mp.trees`: convert scikit-learn tree models to the
  ``emlearn_trees`` binary format (docs/trees-format.md), plus int16 quantization.
- :mod:`emlearn_mp.trees_reader`: independent parser, validator and numpy
  reference predictor for that format.
- :mod:`emlearn_mp.trees_csv`: emlearn's CSV tree format (majority-vote leaves).
- :mod:`emlearn_mp.trees_badmodels`: malformed model corpus for loader tests.
- :mod:`emlearn_mp.neighbors`: int16 standard scaling and the training data of a
  fitted KNeighborsClassifier, for ``emlearn_neighbors``.
- :mod:`emlearn_mp.linreg`: ElasticNet models and settings for ``emlearn_linreg``.
- :mod:`emlearn_mp.iir_q15`: scipy's sos as ``emlearn_iir_q15`` coefficients, and the
  module's fixed-point arithmetic in Python.
- :mod:`emlearn_mp.tmdl`: TinyMaix CNN files (``emlearn_cnn_int8``/``_fp32``):
  description and numpy reference of the modules' arithmetic.
- :mod:`emlearn_mp.tflite`: numpy evaluation of TensorFlow Lite models.
- :mod:`emlearn_mp.cnn_badmodels`: malformed CNN model corpus for loader tests.
"""

__version__ = "0.1.0"
