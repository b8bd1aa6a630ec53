"""corrlearn: dense visual correspondence in video.

The data path, top to bottom: frames (:mod:`corrlearn.io`) -> features (:mod:`corrlearn.models`) ->
affinity (:mod:`corrlearn.affinity`) -> propagation (:mod:`corrlearn.propagate`) -> metrics
(:mod:`corrlearn.metrics`).
"""

from corrlearn.errors import CorrlearnError

__version__ = "0.1.0"

__all__ = ["CorrlearnError", "__version__"]
