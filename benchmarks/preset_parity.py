"""A preset beside its authors' own propagation code, on identical features, per DAVIS sequence.

    python benchmarks/preset_parity.py --peer dino --peer-root ~/src/dino \\
        --sequences car-shadow blackswan drift-chicane [--model efficientnet-lite1-hc] [--out TABLE.md]
    python benchmarks/preset_parity.py --peer uvc --peer-root ~/src/UVC
    python benchmarks/preset_parity.py --peer contrastcorr --peer-root ~/src/ContrastCorr
    python benchmarks/preset_parity.py --peer stt --peer-root ~/src/Spa-then-Temp

The encoder computes each frame's features once, at the preset's working size; corrlearn (the engine's
propagator and the mask codec) and the peer's code both propagate from those features, so only the label path
(first mask -> grid, affinity -> top-k -> weights, output resize) can differ. Printed per sequence: J-Mean and
F-Mean of both against the ground truth (official semi-supervised frames), dJ / dF (corrlearn - peer), the
pixels that differ over the video and the first frame whose masks differ. The peer checkout is read in place
(imported from --peer-root, never copied); what of it runs:

* ``dino``: ``eval_video_segmentation.py``'s own loop, ``eval_video_tracking_davis`` (``read_seg``,
  ``label_propagation``, ``norm_mask``, its PIL resize, its PNG writing), with ``read_frame`` and the model
  replaced by the features (a stub whose ``get_intermediate_layers`` returns them) and, without a GPU,
  ``Tensor.cuda`` a no-op. Needs the checkout's ``vision_transformer.py`` and ``vit_utils.py`` importable.
* ``uvc`` / ``contrastcorr``: ``test.py``'s own ``test`` loop with ``libs/test_utils.py`` (``read_seg``,
  ``transform_topk``) and ``libs/utils.py`` (``norm_mask``); the model is a stub returning the pair affinity
  as ``shared/reference/protocols.md`` states it (softmax over the reference cells; ContrastCorr's mutual
  matching, corrlearn's ``mutual_affinity``), because the peers compute it inside their model classes: that
  part is corrlearn's on both sides. ``scipy.misc.imresize`` (removed from SciPy 1.3) is provided as PIL
  NEAREST / its float ``mode="F"`` when missing, which is what it called.
* ``stt``: ``vcl/models/common/local_attention.py``'s ``masked_attention_efficient`` loaded on its own (its
  package imports mmcv); the ``forward_test`` loop of ``vanilla_tracker.py`` (first mask by PIL NEAREST,
  ``with_first`` context holding frame 0 twice while t <= 20, square window, bilinear output straight to the
  frame size, min-max, argmax) is restated here around it.

Not yet run against a real peer checkout (none was reachable offline when it was written, 2026-12-03). The
``dino`` harness ran end to end on a stand-in module with ``eval_video_segmentation.py``'s interface (4 blackswan
frames, default encoder: 0 pixels differ); ``tests/propagate/test_peer_parity.py`` holds independent
re-derivations of the DINO, STT and UVC loops that do run, beside the presets.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import sys
import tempfile
import types
from argparse import Namespace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

VAL = REPO.parent / "shared" / "data" / "davis2016-val"
PRESET_OF = {"dino": "dino", "uvc": "uvc", "contrastcorr": "contrastcorr", "stt": "stt"}
PEER_FILE = {
    "dino": "eval_video_segmentation.py",
    "uvc": "test.py",
    "contrastcorr": "test.py",
    "stt": "vcl/models/common/local_attention.py",
}


def load_clip(root: Path, seq: str, max_frames: int | None):
    """RGB frames and ground-truth ids of one DAVIS sequence."""
    from corrlearn.datasets.davis import annotation_dir, frames_dir, gt_frame_names
    from corrlearn.io.frames import open_frames
    from corrlearn.io.masks import read_mask

    src = open_frames(frames_dir(root, seq))
    n = len(src.names) if max_frames is None else min(max_frames, len(src.names))
    frames = [src.read(i) for i in range(n)]
    names = gt_frame_names(root, seq)[:n]
    gts = [read_mask(annotation_dir(root, seq) / f"{name}.png").ids for name in names]
    return frames, gts


def encode_all(encoder, preset, frames):
    """(C, h, w) features of every frame at the preset's working size (L2-normalised if the preset says so)."""
    from corrlearn.propagate.engine import FeatureExtractor

    ext = FeatureExtractor(encoder, preset)
    return [ext(f) for f in frames]


def corrlearn_masks(preset, first_ids, feats, frame_size):
    """corrlearn's masks from the given features: the engine's propagator and the mask codec."""
    from corrlearn.labels import Geometry, MaskCodec
    from corrlearn.propagate import working_size
    from corrlearn.propagate.engine import Propagator

    geo = Geometry(frame_size, working_size(*frame_size, preset), tuple(feats[0].shape[1:]))
    codec, prop = MaskCodec(), Propagator(preset)
    prop.reset(feats[0], codec.encode(first_ids, geo, preset))
    out = [codec.first(first_ids, geo, preset)]
    for f in feats[1:]:
        out.append(codec.decode(prop.step(f), geo, preset, out[-1]))
    return out


@contextlib.contextmanager
def peer_import(root: Path):
    """``root`` first on sys.path and as the working directory (UVC reads ``libs/data/palette.txt`` relative to
    it); ``Tensor.cuda`` a no-op when torch sees no GPU; all undone afterwards."""
    import os

    import torch

    old_cwd, old_path, old_cuda = os.getcwd(), list(sys.path), torch.Tensor.cuda
    sys.path.insert(0, str(root))
    os.chdir(root)
    if not torch.cuda.is_available():
        torch.Tensor.cuda = lambda self, *a, **k: self
    try:
        yield
    finally:
        os.chdir(old_cwd)
        sys.path[:] = old_path
        torch.Tensor.cuda = old_cuda


def _index_frames(feats, stride):
    """A stand-in for the peers' ``read_frame``: a (3, H, W) tensor holding the frame's index, at the size
    the peer's code divides by its stride to find the grid, and a model that maps it back to the features."""
    import torch

    class Model:
        patch_embed = Namespace(patch_size=stride)

        def get_intermediate_layers(self, x, n=1):  # DINO: [CLS] + tokens, (1, 1 + h*w, C)
            f = feats[int(x.flatten()[0])]
            tokens = f.flatten(1).T[None]
            return [torch.cat([tokens[:, :1], tokens], 1)]

    def frame(i, work):
        return torch.full((3, *work), float(i))

    return Model(), frame


def palette_png(tmp: str, first_ids: np.ndarray) -> Path:
    """The first annotation as a palette PNG of ids, the DAVIS-2017 form the peers' ``read_seg`` expects
    (DAVIS-2016 files are 0 / 255)."""
    from corrlearn.io.masks import write_mask

    path = Path(tmp) / "first.png"
    write_mask(path, first_ids)
    return path


def dino_masks(root: Path, feats, frames, first_ids: np.ndarray, stride: int, work):
    """DINO's ``eval_video_tracking_davis`` on the given features; returns the masks it writes."""
    from PIL import Image

    with peer_import(root), tempfile.TemporaryDirectory() as tmp:
        ann_path = palette_png(tmp, first_ids)
        mod = importlib.import_module("eval_video_segmentation")
        model, frame = _index_frames(feats, stride)
        H, W = frames[0].shape[:2]
        names = [f"{i:05d}.jpg" for i in range(len(frames))]
        mod.read_frame = lambda path, scale_size=None: (frame(names.index(Path(path).name), work), H, W)
        mod.args = Namespace(
            output_dir=tmp, n_last_frames=7, size_mask_neighborhood=12, topk=5, patch_size=stride
        )
        first_seg, seg_ori = mod.read_seg(str(ann_path), stride)
        palette = np.arange(256 * 3, dtype=np.uint8).reshape(-1, 3)
        video = Path(tmp) / "video"
        mod.eval_video_tracking_davis(mod.args, model, [str(video / n) for n in names], str(video), first_seg,
                                      seg_ori, palette)  # fmt: skip
        return [np.asarray(Image.open(Path(tmp) / "video" / n.replace(".jpg", ".png"))) for n in names]


def _scipy_imresize_shim():
    """``scipy.misc.imresize(arr, size, interp, mode)`` as it behaved for UVC's calls: PIL resize of a uint8 or
    (``mode="F"``) float image to (rows, cols), returned as an array."""
    import scipy.misc
    from PIL import Image

    if hasattr(scipy.misc, "imresize"):
        return

    def imresize(arr, size, interp="bilinear", mode=None):
        filt = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}[interp]
        a = np.asarray(arr)
        img = Image.fromarray(a.astype(np.float32), mode="F") if mode == "F" else Image.fromarray(a)
        return np.asarray(img.resize((int(size[1]), int(size[0])), filt))

    scipy.misc.imresize = imresize


def uvc_masks(root: Path, feats, frames, first_ids: np.ndarray, preset, work):
    """UVC's / ContrastCorr's ``test`` loop on the given features (pair affinity from a stub model)."""
    import torch
    from PIL import Image

    from corrlearn.propagate.pairwise import mutual_affinity

    _scipy_imresize_shim()
    with peer_import(root), tempfile.TemporaryDirectory() as tmp:
        ann_path = palette_png(tmp, first_ids)
        spec = importlib.util.spec_from_file_location("peer_test", root / "test.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        H, W = frames[0].shape[:2]
        names = [f"{i:05d}.jpg" for i in range(len(frames))]
        _, frame = _index_frames(feats, 8)
        mod.read_frame = lambda path, transforms, scale: (
            frame(names.index(Path(path).name), work)[None],
            H,
            W,
        )
        mod.args = Namespace(
            out_dir=tmp, pre_num=preset.context, topk=preset.topk, scale_size=[preset.short_side]
        )

        def model(g1, g2, f1, f2):  # (N1 refs, N2 targets), as test.py's forward hands to transform_topk
            a, b = feats[int(f1.flatten()[0])], feats[int(f2.flatten()[0])]
            q, k = b.flatten(1).T, a.flatten(1).T
            if preset.mutual:
                aff = mutual_affinity(q, k, preset.temperature)
            else:
                aff = torch.softmax(q @ k.T / preset.temperature, dim=1)
            return [None, None, aff.T[None].contiguous()]

        _, first_seg, seg_ori = mod.read_seg(str(ann_path), [preset.short_side])
        video = Path(tmp) / "video"
        mod.test(model, [str(video / n) for n in names], str(video), first_seg, seg_ori)
        return [np.asarray(Image.open(video / n.replace(".jpg", ".png"))) for n in names]


def stt_masks(root: Path, feats, first_ids, frame_size, preset):
    """STT's ``forward_test`` restated around its own ``masked_attention_efficient`` (loaded on its own)."""
    import torch
    import torch.nn.functional as F

    from corrlearn.labels.resize import resize_nearest

    pkg = types.ModuleType("stt_common")
    pkg.__path__ = []
    utils = types.ModuleType("stt_common.utils")
    utils.cat = lambda ts, dim=0: ts[0] if len(ts) == 1 else torch.cat(ts, dim)
    sys.modules.update({"stt_common": pkg, "stt_common.utils": utils})
    spec = importlib.util.spec_from_file_location(
        "stt_common.local_attention", root / "vcl/models/common/local_attention.py"
    )
    la = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(la)
    h, w = feats[0].shape[1:]
    ids = np.where(first_ids == 255, 0, first_ids)
    first = F.one_hot(torch.from_numpy(resize_nearest(ids, (h, w)).astype(np.int64))).permute(2, 0, 1).float()
    r = int(preset.radius)
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    ys, xs = ys.flatten(), xs.flatten()
    window = ((ys[:, None] - ys[None]).abs() <= r) & ((xs[:, None] - xs[None]).abs() <= r)
    bank, out = [first[None]], [np.where(first_ids == 255, 0, first_ids).astype(np.uint8)]
    stack = torch.stack(feats)[None].transpose(1, 2)  # (1, C, T, h, w)
    for t in range(1, len(feats)):
        start = max(0, t - preset.context)
        keys = torch.cat([stack[:, :, 0:1], stack[:, :, start:t]], 2)
        vals = torch.stack([bank[0][0]] + [b[0] for b in bank[start:t]], 1)[None]
        seg = la.masked_attention_efficient(stack[:, :, t], keys, vals, window, temperature=preset.temperature,
                                            topk=preset.topk, normalize=True, step=32, non_mask_len=0)  # fmt: skip
        bank.append(seg)
        up = F.interpolate(seg, size=frame_size, mode="bilinear", align_corners=False)
        lo = up.flatten(2).min(-1).values[..., None, None]
        hi = up.flatten(2).max(-1).values[..., None, None]
        up = torch.where(hi > 0, (up - lo) / (hi - lo + 1e-12), up)
        out.append(up.argmax(1)[0].numpy().astype(np.uint8))
    return out


def compare(seq, gts, ours, theirs) -> dict:
    """J / F of both sides, their difference, differing pixels and the first frame that differs."""
    from corrlearn.metrics.davis import evaluate_sequence

    def jf(res):
        recs = evaluate_sequence(gts, res, seq)
        return np.mean([r.j_mean for r in recs]), np.mean([r.f_mean for r in recs])

    (jo, fo), (jp, fp) = jf(ours), jf(theirs)
    diff = [int((a != b).sum()) for a, b in zip(ours, theirs, strict=True)]
    first = next((t for t, d in enumerate(diff) if d), None)
    return {"seq": seq, "J_peer": jp, "J": jo, "F_peer": fp, "F": fo, "pixels": sum(diff), "first": first}


def main(argv: list[str] | None = None) -> int:
    from corrlearn import models
    from corrlearn.errors import CorrlearnError
    from corrlearn.io.atomic import write_text_atomic
    from corrlearn.models.catalog import DEFAULT_MODEL
    from corrlearn.propagate import get_preset, working_size

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--peer", required=True, choices=sorted(PRESET_OF))
    p.add_argument("--peer-root", type=Path, required=True, help="the peer's checkout (read in place)")
    p.add_argument("--root", type=Path, default=VAL, help="DAVIS-2016 root")
    p.add_argument("--sequences", nargs="+", default=["car-shadow", "blackswan", "drift-chicane"])
    p.add_argument("--model", default=None, help="encoder (default: corrlearn's default)")
    p.add_argument("--max-frames", type=int, default=None)
    p.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = p.parse_args(argv)
    need = args.peer_root / PEER_FILE[args.peer]
    if not need.is_file():
        p.error(f"--peer-root {args.peer_root}: no {PEER_FILE[args.peer]} (not a {args.peer} checkout)")
    preset = get_preset(PRESET_OF[args.peer])
    try:
        encoder = models.create(args.model or DEFAULT_MODEL, input_space=preset.input_space)
    except CorrlearnError as e:
        p.error(str(e))
    rows = []
    for seq in args.sequences:
        frames, gts = load_clip(args.root, seq, args.max_frames)
        size = frames[0].shape[:2]
        feats = encode_all(encoder, preset, frames)
        ours = corrlearn_masks(preset, gts[0], feats, size)
        work = working_size(*size, preset)
        if args.peer == "dino":
            theirs = dino_masks(args.peer_root, feats, frames, gts[0], encoder.stride, work)
        elif args.peer == "stt":
            theirs = stt_masks(args.peer_root, feats, gts[0], size, preset)
        else:
            theirs = uvc_masks(args.peer_root, feats, frames, gts[0], preset, work)
        rows.append(compare(seq, gts, ours, theirs))
        print(rows[-1], flush=True)
    lines = [
        f"# `{preset.name}` beside {args.peer}'s own code ({args.peer_root.name}), same features",
        "",
        f"`python benchmarks/preset_parity.py {' '.join(sys.argv[1:] if argv is None else argv)}`",
        "",
        "| sequence | peer J | corrlearn J | dJ | peer F | corrlearn F | dF | pixels differing | first frame |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['seq']} | {r['J_peer']:.4f} | {r['J']:.4f} | {r['J'] - r['J_peer']:+.4f} | {r['F_peer']:.4f} | "
        f"{r['F']:.4f} | {r['F'] - r['F_peer']:+.4f} | {r['pixels']} | {r['first'] if r['first'] is not None else '-'} |"
        for r in rows
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        write_text_atomic(args.out, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
