"""Bring your own encoder: a user's ``torch.nn.Module`` behind corrlearn's :class:`Encoder` interface.

Every ``--model`` (and :func:`corrlearn.models.create`) accepts, beside corrlearn's own names:

* ``package.module:factory`` -- an importable module (the current directory is tried too, as ``python -m``
  would) and a callable in it;
* ``path/to/file.py:factory`` -- a Python file and a callable in it;
* a name that an installed package registers in the ``corrlearn.encoders`` entry-point group
  (``[project.entry-points."corrlearn.encoders"] my-net = "my_pkg.nets:build"``).

The factory returns any module mapping (B, 3, H, W) to (B, C, h, w). What it reads is declared, by priority:

1. a :class:`UserEncoder` (or any :class:`Encoder` subclass): it says ``stride``, ``input_space``, ``mean`` /
   ``std`` itself;
2. a plain module with attributes ``stride`` (required unless ``--stride`` gives it), and optionally
   ``input_space`` ("rgb" or "lab") and ``mean`` / ``std`` (3 numbers each); a module with only ``stride``
   reads RGB in [0, 1] normalised with the ImageNet statistics.

The factory is called with ``stride=`` / ``weights=`` only if its signature takes them (a ``--weights`` file it
does not take is loaded into the returned module strictly, ``weights_only=True``). A probe forward on a
small odd-sized batch checks the output (4-D, same batch, finite, the ``ceil(H / stride)`` grid) before any
work; what fails is one :class:`CorrlearnError` naming the factory. The built encoder carries
``provenance``: the factory, its source file and SHA-256, and the weights' SHA-256 (of the ``--weights`` file,
else of the module's own state), which the runs record.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from corrlearn.errors import CorrlearnError

# the torch-free part of resolving a name lives in the catalog (the CLI's help lists entry-point names)
from corrlearn.models.catalog import ENTRY_POINT_GROUP, entry_point_names, is_factory_spec  # noqa: F401
from corrlearn.models.checkpoint import file_sha256, load_weights
from corrlearn.models.encoder import Encoder
from corrlearn.models.normalize import IMAGENET_MEAN, IMAGENET_STD, INPUT_SPACES, LAB_MEAN, LAB_STD


class UserEncoder(Encoder):
    """Wrap ``module`` ((B, 3, H, W) normalised input -> (B, C, H / stride, W / stride)) as a corrlearn encoder.

    ``input_space`` ("rgb" or "lab") and ``mean`` / ``std`` (default: ImageNet's for RGB, (50, 0, 0) /
    (50, 127, 127) for Lab) say what input the module's weights expect; it reads that under every preset
    (``fixed_input``). The normalised input is zero-padded on the right and bottom to a multiple of
    ``stride``, so any network of that stride yields the ``ceil(H / stride) x ceil(W / stride)`` grid the
    propagation engine works on. ``levels`` (STT's two-level training objective) is not available.
    """

    fixed_input = True

    def __init__(
        self,
        module: nn.Module,
        stride: int,
        input_space: str = "rgb",
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
    ):
        super().__init__()
        if input_space not in INPUT_SPACES:
            raise ValueError(
                f"unknown input space {input_space!r}; expected one of {', '.join(INPUT_SPACES)}"
            )
        if not (isinstance(stride, int) and stride >= 1):
            raise ValueError(f"stride must be a positive integer, got {stride!r}")
        default_mean, default_std = (
            (IMAGENET_MEAN, IMAGENET_STD) if input_space == "rgb" else (LAB_MEAN, LAB_STD)
        )
        mean = tuple(float(v) for v in (default_mean if mean is None else mean))
        std = tuple(float(v) for v in (default_std if std is None else std))
        if len(mean) != 3 or len(std) != 3 or min(std) <= 0:
            raise ValueError(f"mean and std must be 3 numbers each (std > 0), got {mean} and {std}")
        self.module, self.stride, self.input_space = module, stride, input_space
        self.mean, self.std = mean, std
        self.register_buffer("_mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("_std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)
        self.out_channels = int(getattr(module, "out_channels", 0) or 0)

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        if self.input_space == "lab":
            import kornia.color

            images = kornia.color.rgb_to_lab(images)
        return (images - self._mean.to(images.dtype)) / self._std.to(images.dtype)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        s = self.stride
        ph, pw = -h % s, -w % s
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph))
        return self.module(x)

    def levels(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise CorrlearnError("a user encoder has no stride-4 level (STT's two-level objective needs one)")


# ---------------------------------------------------------------------------------------------- resolution
def load_factory(spec: str) -> tuple[Callable, Path | None]:
    """The callable ``spec`` names and the file that defines it (None if it has no source file)."""
    target, _, attr = spec.rpartition(":")
    if not target or not attr:
        raise CorrlearnError(f"--model {spec!r}: expected package.module:factory or path/file.py:factory")
    if target.endswith(".py") or os.sep in target or "/" in target:
        path = Path(target)
        if not path.is_file():
            raise CorrlearnError(f"--model {spec!r}: {path} not found")
        name = "corrlearn_user_encoder_" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
        mod_spec = importlib.util.spec_from_file_location(name, path)
        if mod_spec is None or mod_spec.loader is None:
            raise CorrlearnError(f"--model {spec!r}: {path} is not a Python file")
        module = importlib.util.module_from_spec(mod_spec)
        sys.modules[name] = module  # dataclasses and pickling look the module up by name
        try:
            mod_spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[name]
            raise CorrlearnError(f"--model {spec!r}: importing {path} failed ({_why(exc)})") from None
    else:
        module = _import(spec, target)
    try:
        factory = getattr(module, attr)
    except AttributeError:
        raise CorrlearnError(f"--model {spec!r}: {target} has no attribute {attr!r}") from None
    if not callable(factory):
        raise CorrlearnError(f"--model {spec!r}: {target}.{attr} is not callable")
    try:
        source = inspect.getsourcefile(factory) or getattr(module, "__file__", None)
    except TypeError:  # a builtin or C callable
        source = getattr(module, "__file__", None)
    return factory, None if source is None else Path(source).resolve()


def _import(spec: str, target: str):
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as exc:
        top = target.split(".")[0]
        cwd = os.getcwd()
        if exc.name != top or cwd in sys.path:
            raise CorrlearnError(f"--model {spec!r}: cannot import {target} ({_why(exc)})") from None
        sys.path.insert(0, cwd)  # the `corrlearn` script, unlike `python -m`, does not put "." on the path
        try:
            return importlib.import_module(target)
        except Exception as exc2:
            sys.path.remove(cwd)
            raise CorrlearnError(f"--model {spec!r}: cannot import {target} ({_why(exc2)})") from None
    except Exception as exc:
        raise CorrlearnError(f"--model {spec!r}: importing {target} failed ({_why(exc)})") from None


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _accepts(fn: Callable, name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def create_external(
    spec: str,
    stride: int | None = None,
    weights: str | os.PathLike | None = None,
    seed: int = 0,
    label: str | None = None,
) -> Encoder:
    """Build, check and wrap the encoder that the factory ``spec`` (``module:attr`` or ``file.py:attr``)
    returns; ``label`` is the name the user typed (an entry-point name), for messages and the record."""
    label = label or spec
    factory, source = load_factory(spec)
    kwargs: dict = {}
    if stride is not None and _accepts(factory, "stride"):
        kwargs["stride"] = stride
    if weights is not None and _accepts(factory, "weights"):
        kwargs["weights"] = os.fspath(weights)
    with torch.random.fork_rng(devices=[]):  # a random init is reproducible and leaves the caller's RNG alone
        torch.manual_seed(seed)
        try:
            module = factory(**kwargs)
        except CorrlearnError:
            raise
        except Exception as exc:
            raise CorrlearnError(f"encoder factory {label}: raised {_why(exc)}") from None
    if not isinstance(module, nn.Module):
        raise CorrlearnError(
            f"encoder factory {label}: returned {type(module).__name__}, not a torch.nn.Module"
        )
    if weights is not None and "weights" not in kwargs:
        load_weights(module, weights, model_name=f"encoder factory {label}")
    encoder = module if isinstance(module, Encoder) else _wrap(module, stride, label)
    if stride is not None and encoder.stride != stride:
        raise CorrlearnError(
            f"encoder factory {label}: declares stride {encoder.stride}, but stride {stride} was asked for"
        )
    encoder.eval()
    channels = probe(encoder, label)
    if not getattr(encoder, "out_channels", 0):
        encoder.out_channels = channels
    encoder.provenance = {
        "factory": spec,
        "name": label,
        # file names and hashes, no absolute paths: shards on other machines must record the same
        "source_file": None if source is None else source.name,
        "source_sha256": None if source is None or not source.is_file() else file_sha256(source),
        "weights_sha256": file_sha256(weights) if weights is not None else state_sha256(encoder),
        "weights_from": "file" if weights is not None else "factory state",
        "stride": encoder.stride,
        "input_space": encoder.input_space,
        "mean": list(getattr(encoder, "mean", ())) or None,
        "std": list(getattr(encoder, "std", ())) or None,
    }
    return encoder


def _wrap(module: nn.Module, stride: int | None, label: str) -> UserEncoder:
    declared = getattr(module, "stride", None)
    if declared is None:
        if stride is None:
            raise CorrlearnError(
                f"encoder factory {label}: the module declares no stride; give it a `stride` attribute, "
                "wrap it in corrlearn.UserEncoder, or pass --stride"
            )
        declared = stride
    if isinstance(declared, bool) or not isinstance(declared, int) or declared < 1:
        raise CorrlearnError(f"encoder factory {label}: stride must be a positive integer, got {declared!r}")
    try:
        return UserEncoder(
            module,
            declared,
            input_space=getattr(module, "input_space", "rgb"),
            mean=getattr(module, "mean", None),
            std=getattr(module, "std", None),
        )
    except (ValueError, TypeError) as exc:
        raise CorrlearnError(f"encoder factory {label}: {exc}") from None


def probe(encoder: Encoder, label: str) -> int:
    """Run ``encoder`` on a (2, 3, 5s+3, 3s+1) batch; the output must be (2, C, 6, 4) and finite. Returns C.

    Odd sizes check the ceil grid; a non-square input catches swapped axes; batch 2 catches mixed-up batches.
    """
    s = encoder.stride
    height, width = 5 * s + 3, 3 * s + 1
    gh, gw = math.ceil(height / s), math.ceil(width / s)
    x = torch.rand(2, 3, height, width, generator=torch.Generator().manual_seed(0))
    device = next((p.device for p in encoder.parameters()), torch.device("cpu"))
    try:
        with torch.inference_mode():
            out = encoder(x.to(device))
    except Exception as exc:
        raise CorrlearnError(
            f"encoder factory {label}: forward on a 2x3x{height}x{width} probe failed ({_why(exc)})"
        ) from None
    if not isinstance(out, torch.Tensor) or out.ndim != 4:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise CorrlearnError(f"encoder factory {label}: output {shape} is not a (B, C, h, w) tensor")
    if out.shape[0] != 2 or tuple(out.shape[2:]) != (gh, gw):
        raise CorrlearnError(
            f"encoder factory {label}: a 2x3x{height}x{width} input gave {tuple(out.shape)}, not "
            f"(2, C, {gh}, {gw}) as stride {s} implies; check the declared stride"
        )
    if not torch.isfinite(out).all():
        raise CorrlearnError(f"encoder factory {label}: output holds NaN or inf on a random probe input")
    return int(out.shape[1])


def state_sha256(module: nn.Module) -> str:
    """SHA-256 over the module's state (names, dtypes, shapes and bytes, in order): its weights' identity."""
    h = hashlib.sha256()
    for key, value in module.state_dict().items():
        t = value.detach().cpu().contiguous().reshape(-1)
        h.update(f"{key}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()
