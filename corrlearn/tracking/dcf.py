"""A discriminative correlation filter (DCF) head on frozen stride-8 features (UDT / UniTrack style).

Per frame: crop a square search window ``(1 + padding)`` times the target around the last position at
``num_scales`` scales, resize it to ``crop_size`` pixels, extract features (``crop_size / stride`` cells),
multiply by a cosine window and correlate in the Fourier domain with the learned filter; the best peak
(non-unit scales damped by ``scale_penalty``) gives the displacement and the scale. The filter is the closed
form ridge regression of a Gaussian response (``output_sigma_factor``), summed over channels, with
regularisation ``lambda0``; the template is multiplied by a box window over the target region, and both the
filter and the template are updated with rate ``interp_factor``. Defaults are UniTrack's
``test/test_sot_cfnet.py`` and ``tracker/sot/lib/models/cfnet.py`` (crop 520 = 512 + 8, padding 3.5,
lambda 1e-4, sigma factor 0.1, interp 0.01, 3 scales of step 1.0275, penalty 0.985, size clamped to
[max(0.2 x initial, 4 px), min(frame, 5 x initial)]).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from corrlearn.models import Encoder
from corrlearn.models.inference import check_precision, prepare_encoder, run_encoder
from corrlearn.tracking.boxes import center_to_rect, crop_square, rect_to_center

#: ImageNet mean colour (RGB uint8), the fill of crops outside the frame (0 after normalisation, as UniTrack).
MEAN_FILL = (124, 116, 104)


@dataclass(frozen=True)
class DcfConfig:
    """DCF settings; the defaults are UniTrack's."""

    crop_size: int = 520
    padding: float = 3.5
    lambda0: float = 1e-4
    output_sigma_factor: float = 0.1
    interp_factor: float = 0.01
    num_scales: int = 3
    scale_step: float = 1.0275
    scale_penalty: float = 0.985
    min_scale_factor: float = 0.2
    max_scale_factor: float = 5.0
    l2_normalize: bool = False
    precision: str = "fp32"  # "bf16": encoder under bfloat16 autocast (corrlearn.models.inference)

    def replace(self, **changes) -> DcfConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def gaussian_response(sigma: float, size: int) -> torch.Tensor:
    """(size, size) Gaussian with its peak at (0, 0), wrapped circularly (the DCF regression target)."""
    d = torch.arange(size, dtype=torch.float64) - size // 2
    g = torch.exp(-0.5 * (d[:, None] ** 2 + d[None, :] ** 2) / sigma**2)
    return torch.roll(g, shifts=(-(size // 2), -(size // 2)), dims=(0, 1)).float()


class DcfTracker:
    """``init(frame, rect)`` then ``update(frame) -> rect`` (1-indexed x, y, w, h; frames RGB uint8)."""

    def __init__(self, encoder: Encoder, config: DcfConfig = DcfConfig(), device: str | torch.device = "cpu"):
        self.device = torch.device(device)
        self.encoder = prepare_encoder(encoder, self.device)
        self.config = config
        check_precision(config.precision)
        c = config
        g = math.ceil(c.crop_size / encoder.stride)
        self.grid = g
        self.yf = torch.fft.rfft2(gaussian_response(g / (1 + c.padding) * c.output_sigma_factor, g)).to(
            self.device
        )
        han = torch.from_numpy(np.hanning(g))
        self.cos_window = (han[:, None] * han[None, :]).float().to(self.device)
        line = torch.zeros(g)
        half = int(g // (2 * (c.padding + 1)))
        line[g // 2 - half : g // 2 + half] = 1
        self.inner_window = (line[:, None] * line[None, :]).to(self.device)
        steps = np.arange(c.num_scales) - c.num_scales // 2
        self.scale_factors = c.scale_step**steps
        self.scale_penalties = c.scale_penalty ** np.abs(steps)
        self.center = self.size = None

    @torch.no_grad()
    def _features(self, crops: list[np.ndarray]) -> torch.Tensor:
        x = torch.from_numpy(np.stack(crops)).to(self.device).permute(0, 3, 1, 2).float() / 255.0
        f = run_encoder(self.encoder, x, self.config.precision)
        if self.config.l2_normalize:
            f = F.normalize(f, dim=1)
        return f[..., : self.grid, : self.grid]

    def _crop(self, frame: np.ndarray, scale: float = 1.0) -> np.ndarray:
        window = self.size * scale * (1 + self.config.padding)
        return crop_square(frame, self.center, window, self.config.crop_size, MEAN_FILL)

    def _learn(self, frame: np.ndarray, lr: float) -> None:
        z = self._features([self._crop(frame)]) * self.inner_window
        zf = torch.fft.rfft2(z)
        kzzf = (zf.real**2 + zf.imag**2).sum(1, keepdim=True)
        alphaf = self.yf / (kzzf + self.config.lambda0)
        if lr >= 1:
            self.model_alphaf, self.model_zf = alphaf, zf
        else:
            self.model_alphaf = (1 - lr) * self.model_alphaf + lr * alphaf
            self.model_zf = (1 - lr) * self.model_zf + lr * zf

    def init(self, frame: np.ndarray, rect: np.ndarray) -> None:
        """Start on ``frame`` with the target box ``rect``."""
        self.center, self.size = rect_to_center(rect)
        c, (h, w) = self.config, frame.shape[:2]
        self.min_size = np.maximum(c.min_scale_factor * self.size, 4)
        self.max_size = np.minimum(np.array([w, h], np.float64), c.max_scale_factor * self.size)
        self._learn(frame, lr=1.0)

    @torch.no_grad()
    def response(self, frame: np.ndarray) -> torch.Tensor:
        """(num_scales, g, g) correlation responses around the current position."""
        x = self._features([self._crop(frame, s) for s in self.scale_factors]) * self.cos_window
        xf = torch.fft.rfft2(x)
        kxzf = (xf * self.model_zf.conj()).sum(1, keepdim=True)
        return torch.fft.irfft2(kxzf * self.model_alphaf, s=(self.grid, self.grid))[:, 0]

    def update(self, frame: np.ndarray) -> np.ndarray:
        """Locate the target in the next frame, update the model, return the box."""
        resp = self.response(frame)
        g = self.grid
        peak, idx = resp.reshape(len(self.scale_factors), -1).max(1)
        best = int(np.argmax(peak.cpu().numpy() * self.scale_penalties))
        r, col = divmod(int(idx[best]), g)
        r = r - g if r > g / 2 else r  # the response is circular: the far half means negative shifts
        col = col - g if col > g / 2 else col
        window = self.size * self.scale_factors[best] * (1 + self.config.padding)
        self.center = self.center + np.array([col, r], np.float64) * window / g
        self.size = np.minimum(np.maximum(window / (1 + self.config.padding), self.min_size), self.max_size)
        self._learn(frame, lr=self.config.interp_factor)
        return center_to_rect(self.center, self.size)
