"""corrlearn's presets beside independent re-derivations of each peer's label-propagation step, on real frames.

No peer checkout is available offline, so each peer's DAVIS loop is re-written here from its published code
(read, not copied): facebookresearch/dino ``eval_video_segmentation.py`` (``read_seg``, ``label_propagation``,
``norm_mask``, the PIL resize back to the frame), qianduoduolr/Spa-then-Temp ``vanilla_tracker.py``
(``forward_test``) with ``common/local_attention.py`` (``masked_attention_efficient``) and ``res18_d8.py``,
Liusifei/UVC ``test.py`` with ``libs/test_utils.py`` (``read_seg``, ``transform_topk``). Both sides get the same
features (a fixed random projection of 8x8 pixel patches of the working-size frame: cheap, and real-image
dependent), so what is compared is the label path: first mask -> grid, top-k / softmax, output resize.
``benchmarks/preset_parity.py`` runs the peers' own functions the same way when their checkouts exist.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from corrlearn.datasets.davis import annotation_dir, frames_dir
from corrlearn.io.frames import open_frames
from corrlearn.io.masks import read_mask
from corrlearn.labels import Geometry, MaskCodec
from corrlearn.propagate import get_preset, working_size
from corrlearn.propagate.engine import Propagator

pytestmark = pytest.mark.realdata

STRIDE = 8
FRAMES = 6  # frame 0 + 5 propagated: every context slot of the peers' queues is exercised from frame 2 on
# DAVIS 480p halved: 427 is a multiple neither of 64 (DINO / UVC crop to 384) nor of 8 (STT's grid rounds up)
SIZE = (240, 427)


def pil_resize(ids: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """PIL NEAREST, the peers' resize (DINO ``Image.resize(.., 0)``, UVC ``imresize``, STT ``mmcv`` pillow)."""
    return np.asarray(Image.fromarray(ids.astype(np.uint8)).resize((size[1], size[0]), Image.NEAREST))


def one_hot(ids: np.ndarray) -> torch.Tensor:
    """(h, w) ids -> (max id + 1, h, w), as the peers' ``to_one_hot`` / ``F.one_hot`` (void is not present)."""
    return F.one_hot(torch.from_numpy(ids.astype(np.int64))).permute(2, 0, 1).float()


def norm_mask(x: torch.Tensor) -> torch.Tensor:
    """Per-channel min-max where the channel's max is positive (DINO's / UVC's ``norm_mask``)."""
    x = x.clone()
    for c in range(x.shape[0]):
        if x[c].max() > 0:
            x[c] = x[c] - x[c].min()
            x[c] = x[c] / x[c].max()
    return x


def square_window(h: int, w: int, r: int) -> torch.Tensor:
    """(h*w keys, h*w queries) bool: key within +-r cells of the query on both axes."""
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    ys, xs = ys.flatten(), xs.flatten()
    return ((ys[:, None] - ys[None]).abs() <= r) & ((xs[:, None] - xs[None]).abs() <= r)


@pytest.fixture(scope="module")
def clip(davis_root):
    """The first blackswan frames and mask at 240x427 (frames box-filtered, the mask PIL nearest)."""
    src = open_frames(frames_dir(davis_root, "blackswan"))
    frames = [np.asarray(Image.fromarray(src.read(i)).resize(SIZE[::-1], Image.BOX)) for i in range(FRAMES)]
    mask = read_mask(annotation_dir(davis_root, "blackswan") / f"{src.names[0]}.png").ids
    return frames, pil_resize(mask, SIZE)


def features(frames: list[np.ndarray], work: tuple[int, int]) -> list[torch.Tensor]:
    """(C, ceil(H/8), ceil(W/8)) features of each frame at the working size (zero-padded), of norm 3: UVC's
    un-normalised temperature-1 softmax then sees scores within +-9, not float noise on +-500 (whose argmax
    flips between two equal ways of summing the same dot product)."""
    proj = torch.randn(3 * STRIDE * STRIDE, 32, generator=torch.Generator().manual_seed(0))
    out = []
    for f in frames:
        x = torch.from_numpy(np.array(Image.fromarray(f).resize(work[::-1], Image.BILINEAR))).float() / 255
        x = x.permute(2, 0, 1)[None] - 0.45
        h, w = -(-work[0] // STRIDE), -(-work[1] // STRIDE)
        x = F.pad(x, (0, w * STRIDE - work[1], 0, h * STRIDE - work[0]))
        patches = F.unfold(x, STRIDE, stride=STRIDE)[0].T  # (h*w, 192)
        out.append(3 * F.normalize(patches @ proj, dim=1).T.reshape(32, h, w))
    return out


def corrlearn_masks(preset, frames, mask, feats) -> tuple[torch.Tensor, list[np.ndarray]]:
    """corrlearn on the given features: the mask codec and the engine's propagator, torch backend."""
    geo = Geometry(mask.shape, working_size(*mask.shape, preset), tuple(feats[0].shape[1:]))
    norm = (lambda f: F.normalize(f, dim=0)) if preset.l2_normalize else (lambda f: f)
    codec, prop = MaskCodec(), Propagator(preset, backend="torch")
    first = codec.encode(mask, geo, preset)
    prop.reset(norm(feats[0]), first)
    outs = [codec.decode(prop.step(norm(f)), geo, preset, None) for f in feats[1:]]
    return first, outs


def dino_masks(frames, mask, feats, n_last=7, topk=5, radius=12, temp=0.1):
    """DINO's DAVIS loop: PIL first mask from the full-size mask, exp / mask / zero-below-k-th / renormalise,
    bilinear x patch, norm_mask, argmax, PIL NEAREST back to the frame."""
    (H, W), (h, w) = mask.shape, feats[0].shape[1:]
    first = one_hot(pil_resize(mask, (h, w)))
    window = square_window(h, w, radius).float()
    queue, outs = [], []
    for f in feats[1:]:
        srcs = torch.stack([feats[0]] + [q[0] for q in queue])  # (M, C, h, w)
        segs = torch.stack([first] + [q[1] for q in queue])  # (M, L, h, w)
        tar = F.normalize(f.reshape(f.shape[0], -1).T, dim=1)  # (N, C)
        src = F.normalize(srcs.flatten(2).transpose(1, 2), dim=2)  # (M, N, C)
        aff = torch.exp(src @ tar.T / temp) * window  # (M, N keys, N queries)
        aff = aff.reshape(-1, h * w)
        kth = aff.topk(topk, dim=0).values.min(dim=0).values
        aff[aff < kth] = 0
        aff = aff / aff.sum(dim=0, keepdim=True)
        seg = (segs.permute(1, 0, 2, 3).reshape(segs.shape[1], -1) @ aff).reshape(-1, h, w)
        queue = (queue + [(f, seg)])[-n_last:]
        up = F.interpolate(seg[None], scale_factor=STRIDE, mode="bilinear", align_corners=False,
                           recompute_scale_factor=False)[0]  # fmt: skip
        ids = norm_mask(up).argmax(dim=0).numpy().astype(np.uint8)
        outs.append(pil_resize(ids, (H, W)))
    return first, outs


def stt_masks(frames, mask, feats, first_twice=True, precede=20, topk=10, radius=12, temp=0.07):
    """STT's ``forward_test``: PIL first mask to the feature grid, keys = frame 0 + frames[max(0, t-20):t]
    (frame 0 twice while t <= 20 when ``first_twice``), square window on every key frame, top-k, softmax over
    the kept, bilinear straight to the frame size, min-max (+1e-12) where max > 0, argmax."""
    H, W = mask.shape
    h, w = feats[0].shape[1:]
    first = one_hot(pil_resize(mask, (h, w)))
    window = square_window(h, w, radius)
    bank, outs = [first], []
    for t in range(1, len(feats)):
        idx = list(range(max(0, t - precede), t))
        if first_twice or 0 not in idx:
            idx = [0] + idx
        keys = F.normalize(torch.stack([feats[i] for i in idx]).flatten(2), dim=1)  # (M, C, N)
        vals = torch.stack([bank[i] for i in idx]).flatten(2)  # (M, L, N)
        q = F.normalize(feats[t].reshape(feats[t].shape[0], -1), dim=0)  # (C, N)
        aff = torch.einsum("mck,cq->mkq", keys, q) / temp
        aff = aff.masked_fill(~window[None], float("-inf")).reshape(-1, h * w)
        top, ti = aff.topk(topk, dim=0)
        v = vals.permute(1, 0, 2).reshape(vals.shape[1], -1)[:, ti]  # (L, k, N)
        seg = torch.einsum("lkq,kq->lq", v, top.softmax(dim=0)).reshape(-1, h, w)
        bank.append(seg)
        up = F.interpolate(seg[None], size=(H, W), mode="bilinear", align_corners=False)[0]
        lo = up.flatten(1).min(1).values[:, None, None]
        hi = up.flatten(1).max(1).values[:, None, None]
        up = torch.where(hi > 0, (up - lo) / (hi - lo + 1e-12), up)
        outs.append(up.argmax(dim=0).numpy().astype(np.uint8))
    return first, outs


def uvc_masks(frames, mask, feats, pre_num=7, topk=5, temp=1.0):
    """UVC's ``test``: PIL first mask, each of frame 0 + up to 7 previous propagated alone (softmax over the
    reference cells, zero below the k-th, not renormalised), averaged, bilinear x8, norm_mask, argmax, PIL
    NEAREST back to the frame."""
    (H, W), (h, w) = mask.shape, feats[0].shape[1:]
    first = one_hot(pil_resize(mask, (h, w)))

    def pair(f1, f2, seg):
        aff = torch.softmax(f1.flatten(1).T @ f2.flatten(1) / temp, dim=0)  # (N1 refs, N2 targets)
        kth = aff.topk(topk, dim=0).values.min(dim=0).values
        aff = torch.where(aff < kth, torch.zeros_like(aff), aff)
        return (seg.flatten(1) @ aff).reshape(-1, h, w)

    queue, outs = [], []
    for f in feats[1:]:
        acc = pair(feats[0], f, first)
        for fi, si in queue:
            acc = acc + pair(fi, f, si)
        avg = acc / (1 + len(queue))
        queue = (queue + [(f, avg)])[-pre_num:]
        up = F.interpolate(avg[None], scale_factor=8, mode="bilinear", align_corners=False)[0]
        ids = norm_mask(up).argmax(dim=0).numpy().astype(np.uint8)
        outs.append(pil_resize(ids, (H, W)))
    return first, outs


def _run(name, peer, clip, **peer_kw):
    frames, mask = clip
    # short side 240 keeps the clip at its own size, so only the peers' own crops and resizes act
    preset = get_preset(name).replace(short_side=SIZE[0])
    feats = features(frames, working_size(*mask.shape, preset))
    first_c, outs_c = corrlearn_masks(preset, frames, mask, feats)
    first_p, outs_p = peer(frames, mask, feats, **peer_kw)
    return first_c, outs_c, first_p, outs_p


# Pixels a frame may differ by: argmax near-ties after float rounding (the two sides sum the same products in
# another order; seen: 6 pixels in one column of one STT frame). Corner-sampled resizes differ by hundreds.
NEAR_TIES = 10


def _assert_same(outs_c, outs_p):
    for t, (a, b) in enumerate(zip(outs_c, outs_p, strict=True), start=1):
        assert a.shape == b.shape == SIZE
        assert (a != b).sum() <= NEAR_TIES, f"frame {t}: {(a != b).sum()} pixels differ"


def test_dino_preset_equals_dinos_loop(clip):
    first_c, outs_c, first_p, outs_p = _run("dino", dino_masks, clip)
    assert first_c.shape == first_p.shape == (2, 30, 48)  # 427 -> 384 working width (x64), 48 cells
    assert torch.equal(first_c, first_p)
    _assert_same(outs_c, outs_p)


def test_stt_preset_equals_stts_loop_but_for_frame_0_twice(clip):
    first_c, outs_c, first_p, outs_p = _run("stt", stt_masks, clip, first_twice=False)
    assert first_c.shape == (2, 30, 54)
    assert torch.equal(first_c, first_p)
    _assert_same(outs_c, outs_p)
    # STT itself holds frame 0 twice while t <= 20 (two top-k slots per cell): the difference left, and a real one
    _, outs_twice = stt_masks(*clip, features(clip[0], SIZE), first_twice=True)
    assert sum(int((a != b).sum()) for a, b in zip(outs_c, outs_twice, strict=True)) > NEAR_TIES


def test_uvc_preset_equals_uvcs_loop(clip):
    first_c, outs_c, first_p, outs_p = _run("uvc", uvc_masks, clip)
    assert first_c.shape == (2, 30, 48)
    assert torch.equal(first_c, first_p)
    _assert_same(outs_c, outs_p)


def test_contrastcorr_shares_uvcs_label_path(clip):
    # ContrastCorr's test.py reads and writes masks as UVC's (same read_seg / imresize); its mutual matching is
    # inside its model class, not re-derived here: only the first grid and the output resize are checked
    frames, mask = clip
    preset = get_preset("contrastcorr").replace(short_side=SIZE[0])
    feats = features(frames, working_size(*mask.shape, preset))
    first_c, outs_c = corrlearn_masks(preset, frames, mask, feats)
    assert torch.equal(first_c, one_hot(pil_resize(mask, feats[0].shape[1:])))
    assert all(o.shape == SIZE for o in outs_c)
