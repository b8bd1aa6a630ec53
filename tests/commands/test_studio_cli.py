"""``corrlearn studio``: its defaults (127.0.0.1) and one-line errors before any server starts."""

from __future__ import annotations

import pytest

from corrlearn.cli import build_parser, main
from tests.synthetic import write_clip


def test_listens_on_localhost_and_prints_the_url(tmp_path, monkeypatch, capsys):
    import corrlearn.studio.server as server
    from corrlearn.studio.project import Project

    frames, _, _ = write_clip(tmp_path, n=3)
    seen = {}

    class Server:
        port = 9123

        def serve_forever(self):
            seen["served"] = True

        def server_close(self):
            pass

    def fake_make_server(app, host, port):
        seen.update(host=host, port=port, app=app)
        return Server()

    monkeypatch.setattr(server, "make_server", fake_make_server)
    monkeypatch.setattr(Project, "warm_up", lambda self: None)  # no weights needed to start
    assert main(["studio", str(frames), "--out", str(tmp_path / "work"), "--port", "0"]) == 0
    assert seen["host"] == "127.0.0.1" and seen["port"] == 0 and seen["served"]
    assert "open http://127.0.0.1:9123/" in capsys.readouterr().out
    args = build_parser().parse_args(["studio", str(frames)])
    assert (args.host, args.port, args.preset) == ("127.0.0.1", 8765, "crw")


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["studio", "missing-folder"], "missing-folder: no such video file or frame folder"),
        (["studio", "FRAMES", "--preset", "nope"], "unknown preset 'nope'"),
        (["studio", "FRAMES", "--port", "70000"], "--port 70000: expected 0..65535"),
    ],
)
def test_bad_input_is_one_line(tmp_path, capsys, argv, expected, monkeypatch):
    frames, _, _ = write_clip(tmp_path, n=3)
    monkeypatch.chdir(tmp_path)
    assert main([str(frames) if a == "FRAMES" else a for a in argv]) == 2
    err = capsys.readouterr().err.strip().split("\n")
    assert len(err) == 1 and expected in err[0], err
