"""Golden outputs: what every command prints for the shipped examples, kept byte for byte.

The restructuring of the package (issue "One house by data flow") must not change what the tool
prints. This script runs each command of :data:`CASES` — every output format of validate, report,
render, export, inspect, import, diff, migrate, requirements, rules, init and fit, in English and Chinese where the
command has a language — in this process (the command line's own ``main()``, with the
repository as the working folder, so that paths in the outputs are relative), and writes what it
printed to ``tests/golden/``: ``NAME.out`` (standard output), ``NAME.err`` (standard error, when
there is any) and ``index.json`` (each case's arguments and exit code).

    python tools/golden.py            # rewrite tests/golden/ (review the diff before committing it)
    python tools/golden.py --check    # exit 1 if any output differs from tests/golden/

``verify`` is left out: the differences it prints come from ONNX Runtime's floating-point kernels,
which differ between processors (its own tests check them against tolerances).

``tests/test_golden.py`` runs the same cases and fails on any difference: a change of output is
then either a deliberate fix, committed with the regenerated files, or a regression.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(ROOT / "src"))

EXAMPLES = ("ct-foundation-encoder", "cxr-classification-backbone", "pathology-foundation-api", "wdbc-cytology-mlp")
MODEL = "examples/wdbc-cytology-mlp/model/wdbc_cytology_mlp_1.0.0.onnx"
LANGS = ("en", "zh")


def _cases() -> dict[str, list[str]]:
    """Case name -> arguments of ``modelcard-spec``."""
    cases: dict[str, list[str]] = {}
    cards = {name: f"examples/{name}/card.yaml" for name in EXAMPLES}
    cards["invalid"] = "examples/invalid"
    for name, card in cards.items():
        for fmt in ("text", "json", "sarif", "markdown"):
            for lang in LANGS:
                cases[f"validate-{name}-{fmt}-{lang}"] = ["validate", card, "--format", fmt, "--lang", lang, "--jobs", "1"]
    for name in EXAMPLES:
        card = cards[name]
        for fmt in ("md", "html", "json"):
            for lang in LANGS:
                cases[f"report-{name}-{fmt}-{lang}"] = ["report", card, "--format", fmt, "--lang", lang]
        for fmt in ("md", "html"):
            cases[f"render-{name}-{fmt}"] = ["render", card, "--to", fmt]
        for fmt in ("ttl", "jsonld", "nt"):
            cases[f"export-{name}-{fmt}"] = ["export", card, "--to", fmt]
            cases[f"export-{name}-{fmt}-no-assessment"] = ["export", card, "--to", fmt, "--no-assessment"]
        cases[f"export-{name}-cyclonedx"] = ["export", card, "--to", "cyclonedx"]
    for profile in sorted((ROOT / "examples" / "intended-use").glob("*.yaml")):
        for fmt in ("text", "json", "md", "html"):
            for lang in LANGS if fmt != "json" else ("en",):
                cases[f"fit-{profile.stem}-{fmt}-{lang}"] = ["fit", cards["ct-foundation-encoder"], "--use",
                                                              profile.relative_to(ROOT).as_posix(), "--format", fmt,
                                                              "--lang", lang]
        for fmt in ("nt", "ttl", "jsonld"):  # the result as RDF (graph/results.py)
            cases[f"fit-{profile.stem}-{fmt}"] = ["fit", cards["ct-foundation-encoder"], "--use",
                                                 profile.relative_to(ROOT).as_posix(), "--format", fmt]
    cases["validate-wdbc-cytology-mlp-model"] = ["validate", cards["wdbc-cytology-mlp"], "--model", MODEL, "--format", "json"]
    for fmt in ("yaml", "json"):
        cases[f"inspect-wdbc-onnx-{fmt}"] = ["inspect", MODEL, "--format", fmt]
    for model in sorted((ROOT / "tests" / "data" / "models").glob("tiny_cnn_*")):
        cases[f"inspect-{model.name}"] = ["inspect", model.relative_to(ROOT).as_posix(), "--format", "json"]
    for bundle in ("spleen_ct_segmentation", "pathology_nuclei_classification"):
        cases[f"import-monai-{bundle}"] = ["import", "monai", f"tests/data/monai-bundles/{bundle}"]
    cases["import-huggingface"] = ["import", "huggingface", "tests/data/huggingface/sample.md"]
    for command, formats in (("requirements", ("json", "md")), ("rules", ("md", "json"))):
        for fmt in formats:
            for lang in LANGS:
                cases[f"{command}-{fmt}-{lang}"] = [command, "--format", fmt, "--lang", lang]
    releases = "examples/ct-foundation-encoder/releases"
    for name, old, new in (("ct-1.0.0-1.1.0", f"{releases}/1.0.0.card.yaml", f"{releases}/1.1.0.card.yaml"),
                           ("ct-1.1.0-1.2.0", f"{releases}/1.1.0.card.yaml", cards["ct-foundation-encoder"])):
        for fmt in ("text", "json", "markdown"):
            for lang in LANGS if fmt != "json" else ("en",):
                cases[f"diff-{name}-{fmt}-{lang}"] = ["diff", old, new, "--format", fmt, "--lang", lang]
        for fmt in ("nt", "ttl", "jsonld"):  # the result as RDF (graph/results.py)
            cases[f"diff-{name}-{fmt}"] = ["diff", old, new, "--format", fmt]
    # the examples as they were at each earlier schema version (tests/data/migrations): migrate, and validate
    for old in sorted((ROOT / "tests" / "data" / "migrations").glob("*/*/card.yaml")):
        version, name = old.parent.parent.name, old.parent.name
        cases[f"migrate-{version}-{name}"] = ["migrate", old.relative_to(ROOT).as_posix()]
    old = "tests/data/migrations/0.1.0/wdbc-cytology-mlp/card.yaml"
    cases["migrate-0.1.0-wdbc-cytology-mlp-zh-json"] = ["migrate", old, "--lang", "zh", "--format", "json"]
    cases["migrate-0.1.0-wdbc-cytology-mlp-report-json"] = ["migrate", old, "--to", "0.2.0", "--report", "json"]
    cases["migrate-current-wdbc-cytology-mlp"] = ["migrate", cards["wdbc-cytology-mlp"]]
    for lang in LANGS:
        cases[f"validate-0.1.0-wdbc-cytology-mlp-{lang}"] = ["validate", old, "--lang", lang]
    for lang in LANGS:
        cases[f"init-{lang}"] = ["init", "--lang", lang]
        cases[f"kg-queries-{lang}"] = ["kg", "queries", "--lang", lang]
    return cases


CASES = _cases()


def run(argv: list[str]) -> tuple[int, bytes, bytes]:
    """``modelcard-spec *argv`` in this process, in the repository's folder: (exit code, standard
    output, standard error)."""
    from modelcard_spec import cli

    out, err = io.BytesIO(), io.BytesIO()
    so = io.TextIOWrapper(out, encoding="utf-8", errors="strict", newline="")
    se = io.TextIOWrapper(err, encoding="utf-8", errors="strict", newline="")
    before = os.getcwd()
    os.chdir(ROOT)  # contextlib.chdir needs Python 3.11; the package supports 3.10
    try:
        with contextlib.redirect_stdout(so), contextlib.redirect_stderr(se):
            try:
                code = cli.main(argv)
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else 2
            so.flush()
            se.flush()
    finally:
        os.chdir(before)
    return code or 0, out.getvalue(), err.getvalue()


def expected(name: str) -> tuple[int, bytes, bytes]:
    """The recorded (exit code, standard output, standard error) of a case."""
    index = json.loads((GOLDEN / "index.json").read_text(encoding="utf-8"))
    err = GOLDEN / f"{name}.err"
    return (index[name]["exit"], (GOLDEN / f"{name}.out").read_bytes(),
            err.read_bytes() if err.exists() else b"")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with tests/golden/ instead of writing it")
    args = parser.parse_args(argv)
    results = {name: run(case) for name, case in CASES.items()}
    if args.check:
        differ = [name for name, result in results.items() if result != expected(name)]
        for name in differ:
            print(f"differs: {name}")
        print(f"{len(results) - len(differ)} of {len(results)} cases as recorded")
        return 1 if differ else 0
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for old in GOLDEN.glob("*.out"):
        old.unlink()
    for old in GOLDEN.glob("*.err"):
        old.unlink()
    index = {}
    for name, (code, out, err) in results.items():
        (GOLDEN / f"{name}.out").write_bytes(out)
        if err:
            (GOLDEN / f"{name}.err").write_bytes(err)
        index[name] = {"args": CASES[name], "exit": code}
    (GOLDEN / "index.json").write_text(json.dumps(index, indent=1, ensure_ascii=False, sort_keys=True) + "\n",
                                       encoding="utf-8")
    print(f"wrote {len(results)} cases to {GOLDEN.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
