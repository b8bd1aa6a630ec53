"""Benchmark datasets read from their official on-disk layouts (JHMDB keypoints, OTB-2015 boxes).

Pointing the runners at the full datasets:

* JHMDB: unpack the official archives so that ROOT holds ``Rename_Images/``, ``joint_positions/`` and
  ``splits/`` (the ``*_test_split1.txt`` files), then ``corrlearn bench jhmdb --root ROOT --out RUN
  [--preset crw|stt] [--weights W.pth] [--device cuda]``; split 1's test videos (268) are used. A CRW list
  file works too: ``--list-file test.split.v2.txt`` (``<frames folder> <joint_positions.mat>`` lines).
* OTB-2015: one folder per sequence (``ROOT/Basketball/img/0001.jpg``, ``ROOT/Basketball/groundtruth_rect.txt``),
  then ``corrlearn bench otb --root ROOT --out RUN [--tracker dcf|boxprop] [--weights W.pth]``.
* Other methods' outputs: ``corrlearn eval jhmdb --root ROOT --results DIR`` (``DIR/<class>/<video>.npy``,
  2 x 15 x T pixels) and ``corrlearn eval otb --root ROOT --results DIR...`` (``DIR/<Seq>.txt`` boxes).

Without the datasets, :mod:`.davis_derived` turns DAVIS sequences into benchmarks in the same layouts
(``--from-davis`` on both bench commands), and into a two-object DAVIS-2017 sequence. :mod:`.davis` holds
the DAVIS folder layout itself.
"""

from corrlearn.datasets.jhmdb import JhmdbVideo, load_jhmdb, read_joints, split_videos
from corrlearn.datasets.otb import OtbSequence, list_sequences, load_otb, load_sequence, read_rects

__all__ = [
    "JhmdbVideo",
    "OtbSequence",
    "list_sequences",
    "load_jhmdb",
    "load_otb",
    "load_sequence",
    "read_joints",
    "read_rects",
    "split_videos",
]
