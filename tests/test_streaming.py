"""``validate DIR`` streams its report (issue 19): every format is written card by card, byte for byte
what the whole-report renderers write, as one valid document, and memory does not grow with the number
of cards."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from conftest import EXAMPLES, INVALID_CARDS, ROOT, VALID_CARDS, on_terminal

SRC = ROOT / "src"


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """A folder of real cards (the shipped examples, valid and invalid), one file that is no YAML,
    one empty card, and file names holding a newline, an escape and a reordering character."""
    folder = tmp_path_factory.mktemp("batch")
    for n, card in enumerate(VALID_CARDS + INVALID_CARDS):
        shutil.copyfile(card, folder / f"{n:02d}-{card.parent.name}-{card.name.replace('card.yaml', 'x.card.yaml')}")
    (folder / "90-broken.card.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    (folder / "91-empty.card.yaml").write_text("", encoding="utf-8")
    for n, odd in enumerate(("new\nline", "esc\x1b[2J", "re\u202eorder")):
        shutil.copyfile(INVALID_CARDS[n], folder / f"92-{n}-{odd}.card.yaml")
    return folder


def _cli(argv) -> tuple[int, str]:
    from modelcard_spec import cli

    out = io.BytesIO()
    stream = io.TextIOWrapper(out, encoding="utf-8", newline="")
    with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main(argv)
        stream.flush()
    return code, out.getvalue().decode("utf-8")


def _whole(report, fmt: str, lang: str, summary: bool = True) -> str:
    """What ``validate`` printed before it streamed: the whole report rendered at once."""
    from modelcard_spec.output import validation
    from modelcard_spec.spec.textsafe import json_text

    if fmt == "json":
        text = validation.to_json(report.to_dict())
    elif fmt == "sarif":
        text = validation.report_sarif(report, base=os.getcwd())
    elif fmt == "markdown":
        text = validation.report_markdown(report, lang)
    else:
        text = validation.report_text(report, lang)
        if len(report.results) > 1 and summary:
            text += "\n" + validation.summary_table(report, lang)
    return json_text(text)


@pytest.mark.parametrize("jobs, held", (("1", 64), ("2", 64), ("1", 1)))
@pytest.mark.parametrize("fmt", ("text", "json", "sarif", "markdown"))
def test_streamed_report_is_the_whole_report(batch, fmt, jobs, held, monkeypatch):
    """With ``held`` 1, what waits for the end of the batch (table rows, SARIF's parts) goes to disk."""
    from modelcard_spec.check.pipeline import validate
    from modelcard_spec.output import validation

    monkeypatch.setattr(validation, "SPOOL_HELD", held)

    report = validate([str(batch)], jobs=1)
    assert len(report.results) == len(VALID_CARDS) + len(INVALID_CARDS) + 5
    assert not report.readable and any(r.valid for r in report.results)
    for lang in ("en", "zh"):
        code, out = _cli(["validate", str(batch), "--format", fmt, "--lang", lang, "--jobs", jobs])
        assert code == 2  # a card that cannot be read
        assert out == _whole(report, fmt, lang)
        if fmt in ("json", "sarif"):
            assert json.loads(out)  # one valid document
    if fmt == "text":
        assert _cli(["validate", str(batch), "--no-summary", "--jobs", jobs])[1] == _whole(report, fmt, "en", False)


@pytest.mark.parametrize("fmt", ("text", "json", "sarif", "markdown"))
def test_streamed_report_of_one_card_and_of_no_issue(fmt, tmp_path):
    """The edges: one card; a card without issues (SARIF's results and JSON's issues are empty lists);
    a pattern that matches nothing; no result at all."""
    from modelcard_spec.check.pipeline import Report, validate
    from modelcard_spec.output.validation import stream_report

    valid = [c for c in VALID_CARDS if validate([str(c)]).results[0].valid and not validate([str(c)]).results[0].issues]
    inputs = [[str(INVALID_CARDS[0])], [str(tmp_path / "*.card.yaml")]] + ([[str(valid[0])]] if valid else [])
    for args in inputs:
        report = validate(args)
        code, out = _cli(["validate", *args, "--format", fmt])
        assert out == _whole(report, fmt, "en")
        assert code == (0 if report.valid else 2 if not report.readable else 1)
    pieces: list[str] = []
    stream_report([], fmt, pieces.append, tool_version=Report().tool_version, schema_version=Report().schema_version,
                  base=os.getcwd())
    assert "".join(pieces) == _whole(Report(), fmt, "en")


def test_json_stream_is_written_before_the_batch_ends(batch):
    """The first card's entry is written before the second card is validated."""
    from modelcard_spec.check.pipeline import iter_validate
    from modelcard_spec.output.validation import stream_report

    pieces: list[str] = []

    def results():
        for n, result in enumerate(iter_validate([str(batch)])):
            if n == 1:
                assert '"card": ' in "".join(pieces)  # the first entry is out already
            yield result

    stream_report(results(), "json", pieces.append, tool_version="0", schema_version="0")
    assert json.loads("".join(pieces))["results"]


_PROBE = textwrap.dedent("""
    import contextlib, io, shutil, sys, tracemalloc
    from pathlib import Path
    from modelcard_spec import cli
    from modelcard_spec.check.pipeline import validate

    folder, count, fmt = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    cards = sorted(Path(sys.argv[4]).glob("*.card.yaml"))
    folder.mkdir()
    for n in range(count):
        shutil.copyfile(cards[n % len(cards)], folder / f"{n:05d}.card.yaml")
    with contextlib.redirect_stdout(io.StringIO()):  # fills the caches every run fills (schema, catalogue, ...)
        cli.main(["validate", str(folder / "00000.card.yaml"), "--format", "json", "--jobs", "1"])
    tracemalloc.start()
    if fmt == "kept":  # the report held whole, as validate did before it streamed
        report = validate([str(folder)], jobs=1)
    else:
        with contextlib.redirect_stdout(open("/dev/null", "w")):
            cli.main(["validate", str(folder), "--format", fmt, "--jobs", "1"])
    print(tracemalloc.get_traced_memory()[1])
""")


def _peak(tmp_path, count: int, fmt: str) -> int:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", _PROBE, str(tmp_path / f"{fmt}-{count}"), str(count), fmt,
                           str(EXAMPLES / "invalid")], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])


MIB = 1 << 20


@pytest.mark.parametrize("fmt", ("json", "sarif", "kept"))
def test_memory_does_not_grow_with_the_number_of_cards(tmp_path, fmt):
    """Peak traced memory of ``validate DIR`` at 50 and at 500 real cards (copies of the invalid
    examples). Streamed, the difference is the list of file names (a few hundred bytes a card, with
    the transient peak of one card's checks varying by some 100 KiB); the whole report kept, as before
    streaming, costs some 20 KiB a card (the ``kept`` case: the measurement sees the difference)."""
    small, large = _peak(tmp_path, 50, fmt), _peak(tmp_path, 500, fmt)
    if fmt == "kept":
        assert large - small > 4 * MIB, (small, large)
    else:
        assert large - small < MIB // 2, (small, large)


def _on_terminal(stdout_is_terminal: bool) -> tuple[bytes, bytes]:
    """``validate`` of the invalid examples with standard error (and standard output, if asked) on a
    pseudo-terminal: (what the terminal showed, what went to the pipe)."""
    shown, piped, _ = on_terminal([sys.executable, "-m", "modelcard_spec.cli", "validate", EXAMPLES / "invalid",
                                   "--jobs", "1", "--no-summary"], stdout_is_terminal,
                                  env={**os.environ, "PYTHONPATH": str(SRC)})
    return shown, piped


def test_no_progress_bar_among_the_streamed_lines():
    """The report streams to standard output: with both streams on one terminal, a progress bar would
    be drawn in the middle of its lines; it is drawn only when the report goes elsewhere."""
    shown, _ = _on_terminal(True)
    assert b"card(s) checked" in shown  # the report is there
    assert b"[#" not in shown and b"[." not in shown
    shown, piped = _on_terminal(False)
    assert re.search(rb"\] \d+/\d+", shown) and b"card(s) checked" in piped


def test_ctrl_c_during_a_batch_in_worker_processes_ends_with_one_line_not_a_traceback_per_worker(tmp_path):
    """SIGINT while the process pool validates: exit 130, the tool's own line, no worker traceback."""
    import signal
    import time

    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(600):
        shutil.copyfile(VALID_CARDS[n % len(VALID_CARDS)], folder / f"{n:04d}.card.yaml")
    env = dict(os.environ, PYTHONPATH=str(SRC))
    proc = subprocess.Popen([sys.executable, "-m", "modelcard_spec.cli", "validate", str(folder), "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)
    assert proc.stdout.readline()  # the first card's result is out: the workers are busy
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: to the whole process group
    _, err = proc.communicate(timeout=120)
    text = err.decode("utf-8", "replace")
    assert proc.returncode == 130, text[-2000:]
    assert "Traceback" not in text and "interrupted" in text
