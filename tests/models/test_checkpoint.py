"""Checkpoints load with weights_only=True, and every refusal says why in corrlearn's words."""

import datetime
import os
import pickle

import pytest
import torch

from corrlearn.errors import CorrlearnError
from corrlearn.models.checkpoint import read_state_dict


class _RunsCode:
    """Unpickling this runs a shell command (``__reduce__`` -> os.system): what a malicious checkpoint does."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _message(path) -> str:
    with pytest.raises(CorrlearnError) as exc:
        read_state_dict(path)
    msg = str(exc.value)
    assert "\n" not in msg and "weights_only" not in msg  # one line, never advice to turn safe loading off
    return msg


@pytest.mark.parametrize("save", ["torch", "pickle"])
def test_code_running_pickle_is_refused_as_not_plain_weights(tmp_path, save):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pth"
    payload = {"model": {"conv1.weight": torch.zeros(1)}, "hook": _RunsCode(marker)}
    if save == "torch":
        torch.save(payload, path)
    else:  # a bare pickle stream with the opcodes torch's own format uses
        with open(path, "wb") as fh:
            pickle.dump(_RunsCode(marker), fh, protocol=2)
    msg = _message(path)
    assert msg.startswith(
        f"{path}: cannot be loaded safely as a checkpoint (it holds objects that are not plain weights"
    )
    assert "system" in msg and "corrupt" not in msg
    assert not marker.exists()  # and nothing ran


def test_other_pickled_objects_name_their_class(tmp_path):
    torch.save({"model": {"w": torch.zeros(1)}, "when": datetime.date(2026, 1, 1)}, tmp_path / "d.pth")
    assert "not plain weights (a pickled datetime.date)" in _message(tmp_path / "d.pth")


def test_garbage_truncated_and_folder(tmp_path):
    (tmp_path / "g.pth").write_bytes(b"garbage")
    assert "not a PyTorch checkpoint, or corrupt / truncated" in _message(tmp_path / "g.pth")
    torch.save({"w": torch.zeros(1000)}, tmp_path / "ok.pth")
    data = (tmp_path / "ok.pth").read_bytes()
    (tmp_path / "cut.pth").write_bytes(data[: len(data) // 2])
    assert "not a PyTorch checkpoint, or corrupt / truncated" in _message(tmp_path / "cut.pth")
    (tmp_path / "weights").mkdir()
    assert _message(tmp_path / "weights") == (
        f"{tmp_path / 'weights'}: is a folder, not a checkpoint file; name the .pt / .pth file inside it"
    )
    assert set(read_state_dict(tmp_path / "ok.pth")) == {"w"}
