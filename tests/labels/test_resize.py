"""Centre-sampled nearest resizing against hand-computed indices and against PIL NEAREST itself."""

import numpy as np
import pytest
import torch
from PIL import Image

from corrlearn.labels import Geometry, MaskCodec, soft_to_ids
from corrlearn.labels.resize import centre_indices, resize_nearest
from corrlearn.propagate import get_preset


def pil_nearest(ids: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(H, W) uint8 -> (h, w) with PIL's NEAREST filter (PIL takes (w, h))."""
    return np.asarray(Image.fromarray(ids).resize((size[1], size[0]), Image.NEAREST))


def test_hand_computed_indices():
    # 4 -> 2: centres at 1.0 and 3.0 (torch's corner sampling would give 0, 2)
    assert centre_indices(4, 2).tolist() == [1, 3]
    # 5 -> 2: 1.25, 3.75; 2 -> 4: 0.25, 0.75, 1.25, 1.75
    assert centre_indices(5, 2).tolist() == [1, 3]
    assert centre_indices(2, 4).tolist() == [0, 0, 1, 1]
    assert centre_indices(7, 7).tolist() == list(range(7))
    with pytest.raises(ValueError):
        centre_indices(0, 3)


@pytest.mark.parametrize(
    "n_in, n_out",
    # DAVIS geometry: 854-wide mask -> 104 / 107 cells, 480 -> 60, 832 working width back to 854 (a position
    # lands exactly on 208.0 there), 240p -> 480p grids, and small ratios whose positions fall on integers
    [(854, 104), (854, 107), (480, 60), (832, 854), (854, 832), (427, 107), (240, 60), (853, 427)]
    + [(2, 7), (4, 14), (4, 6), (3, 2), (10, 4), (1, 5), (5, 1)],
)
def test_indices_equal_pil_nearest(n_in, n_out):
    row = np.arange(n_in, dtype=np.uint16) % 256
    img = np.repeat(row.astype(np.uint8)[None], 2, 0)
    got = img[0][centre_indices(n_in, n_out)]
    assert np.array_equal(got, pil_nearest(img, (2, n_out))[0])


def _hand_mask() -> np.ndarray:
    """A 480x854 mask with two objects whose edges are not on the 8-pixel grid, plus a void band."""
    m = np.zeros((480, 854), np.uint8)
    m[37:201, 13:419] = 1
    m[150:333, 400:777] = 2
    m[300:305, 100:700] = 255
    m[401:479:3, 5:850:7] = 1  # a sparse lattice: corner and centre sampling pick different pixels
    return m


@pytest.mark.parametrize("grid", [(60, 107), (60, 104), (30, 53)])
def test_first_label_grid_equals_pil(grid):
    mask = _hand_mask()
    geo = Geometry(frame_size=mask.shape, work_size=(480, 854), grid=grid)
    soft = MaskCodec().encode(mask, geo, get_preset("stt"))
    assert soft.shape == (3, *grid)
    assert torch.equal(soft.sum(0), torch.ones(grid))  # one-hot
    want = pil_nearest(mask, grid)
    want = np.where(want == 255, 0, want)  # void is background
    assert np.array_equal(soft.argmax(0).numpy(), want)
    # torch's nearest samples corners: a different grid, so the test above can tell them apart
    corner = torch.nn.functional.interpolate(torch.from_numpy(mask)[None, None].float(), size=grid)[0, 0]
    assert not np.array_equal(corner.numpy().astype(np.uint8), pil_nearest(mask, grid))


def test_output_resize_equals_pil():
    # DINO's geometry: argmax at the 480x832 working size, then to the 480x854 frame
    g = torch.Generator().manual_seed(0)
    soft = torch.rand(3, 60, 104, generator=g)
    ids = soft_to_ids(soft, (480, 832), (480, 854), minmax=True)
    up = torch.nn.functional.interpolate(soft[None], size=(480, 832), mode="bilinear", align_corners=False)[0]
    flat = up.flatten(1)
    lo, hi = flat.min(1).values[:, None, None], flat.max(1).values[:, None, None]
    work_ids = ((up - lo) / (hi - lo)).argmax(0).to(torch.uint8).numpy()
    assert np.array_equal(ids, pil_nearest(work_ids, (480, 854)))


def test_tensor_and_array_agree():
    mask = _hand_mask()
    a = resize_nearest(mask, (61, 99))
    t = resize_nearest(torch.from_numpy(mask)[None], (61, 99))[0]
    assert isinstance(a, np.ndarray) and a.shape == (61, 99)
    assert np.array_equal(a, t.numpy())
    assert resize_nearest(mask, mask.shape) is mask
