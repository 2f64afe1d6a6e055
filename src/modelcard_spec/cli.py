"""The ``modelcard-spec`` command line.

Exit codes: 0 every card conforms; 1 a card has errors; 2 unreadable input or a usage error.
``fit``: 0 the intended use fits the card; 1 it fits only partly, does not fit, or cannot be judged;
2 the card or the profile cannot be read or the profile is not valid, or a usage error.
"""

from __future__ import annotations

import argparse
import re
import sys

from .spec.version import __version__
from .spec.diagnostics import EXIT_NONCONFORMING, EXIT_OK, EXIT_UNREADABLE, DiagnosticError, diagnostic
from .spec.registry import Check, register

# The RDF formats of diff and fit (graph.rdf.serialise; kg load --diff/--fit puts the same graphs in a store)
RDF_FORMATS = ("nt", "ttl", "jsonld")

FORCE_HELP = ("replace an existing output file (never an input of the command, never a symbolic link; "
              "see 'Output files' in the README)")
# The artifact `schema` prints, per --format and --lang: only the card's JSON Schema has a Chinese edition (OWL
# carries both languages; SHACL, the JSON-LD context and the records' schemas are printed as shipped).
SCHEMA_FORMATS = {"json-schema": {"en": "json-schema", "zh": "json-schema-zh"}, "shacl": {"en": "shacl"},
                  "owl": {"en": "owl"}, "jsonld-context": {"en": "jsonld-context"},
                  "assessment-schema": {"en": "assessment-schema"}, "verification-schema": {"en": "verification-schema"},
                  "intended-use-schema": {"en": "intended-use-schema"}}


def _columns() -> int:
    """The terminal's width as ``shutil.get_terminal_size()`` gives it: ``$COLUMNS`` if a positive
    number, else the width of the terminal of standard output, else 80."""
    import os

    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, the width it writes in found without ``shutil``: argparse makes one
    for every argument it adds (to check its metavar), and importing shutil, with the compression
    modules it loads, cost a one-card ``validate`` 2-3 ms. The help reads the same (tested)."""

    def __init__(self, prog, indent_increment=2, max_help_position=24, width=None):
        super().__init__(prog, indent_increment, max_help_position, _columns() - 2 if width is None else width)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, formatter_class=_Formatter, **kwargs):
        super().__init__(*args, formatter_class=formatter_class, **kwargs)

    def _print_message(self, message, file=None):  # usage, help and errors, which echo arguments
        if message:
            _out(file or sys.stderr, message)

    def error(self, message):  # argparse's own usage errors: exit 2, never a traceback
        issue = _argparse_issue(message)
        self.usage_error(issue.message, issue.message_zh)

    def usage_error(self, message: str, message_zh: str):
        """A usage error (exit 2): the usage, then the message in English and in Chinese."""
        self.print_usage(sys.stderr)
        self.exit(EXIT_UNREADABLE, f"{self.prog}: error: {message}\n{self.prog}: 错误：{message_zh}\n")


# argparse words its own usage errors in English; each known form is a variant of one registered
# check, so it is said in Chinese too (the English line stays argparse's own text).
_ARGPARSE = (
    ("invalid-choice", r"argument (?P<argument>.+?): invalid choice: (?P<value>.*) \(choose from (?P<choices>.*)\)",
     "参数 {argument}：无效的取值 {value}（可选值：{choices}）"),
    ("invalid-value", r"argument (?P<argument>.+?): invalid (?P<type>\w+) value: (?P<value>.*)",
     "参数 {argument}：无效的{type_zh}值 {value}"),
    ("expected-one", r"argument (?P<argument>.+?): expected one argument", "参数 {argument}：应给出一个值"),
    ("expected-some", r"argument (?P<argument>.+?): expected at least one argument", "参数 {argument}：应至少给出一个值"),
    ("not-allowed-with", r"argument (?P<argument>.+?): not allowed with argument (?P<other>.+)",
     "参数 {argument}：不能与参数 {other} 同时使用"),
    ("required", r"the following arguments are required: (?P<arguments>.*)", "缺少必需的参数：{arguments}"),
    ("unrecognized", r"unrecognized arguments: (?P<arguments>.*)", "无法识别的参数：{arguments}"),
)


_TYPE_ZH = {"int": "整数", "float": "数值"}


def _argparse_template(pattern: str) -> str:
    """The English template of an argparse message pattern: each named group becomes its field."""
    return re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern).replace("\\(", "(").replace("\\)", ")")


register(Check("usage.arguments", "error", "The command line is one the command accepts", "命令行符合命令的用法",
               {**{variant: (_argparse_template(pattern), zh) for variant, pattern, zh in _ARGPARSE},
                "other": ("{detail}", "命令行用法错误（argparse 的英文原文）：{detail}")}, scope="command"))


def _argparse_issue(message: str):
    """argparse's English ``message`` as the diagnostic of ``usage.arguments``."""
    for variant, pattern, _ in _ARGPARSE:
        match = re.fullmatch(pattern, message, flags=re.DOTALL)
        if match:
            params = match.groupdict()
            if "type" in params:
                params["type_zh"] = _TYPE_ZH.get(params["type"], params["type"])
            return diagnostic("usage.arguments", "", variant, **params)
    return diagnostic("usage.arguments", "", "other", detail=message)


def _evaluation_arguments(p) -> None:
    p.add_argument("--model", action="append", default=[], metavar="FILE",
                   help="compare the card with this model file (repeatable)")
    p.add_argument("--verification", metavar="FILE", help="a verification result written by verify --result")
    p.add_argument("--assessment", metavar="FILE", help="an assessor's record (see assess init)")


def _validate_arguments(p) -> None:
    p.add_argument("cards", nargs="+", metavar="CARD")
    p.add_argument("--format", choices=("text", "json", "sarif", "markdown"), default="text")
    p.add_argument("--lang", choices=("en", "zh"), default="en")
    p.add_argument("--jobs", type=int, default=0,
                   help="processes to use (default: all cores for batches of 16 or more cards, else 1)")
    p.add_argument("--no-summary", action="store_true", help="do not end text output with the summary table")
    p.add_argument("--max-bytes", type=int, default=None, help="largest card file accepted (default 10 MiB)")
    p.add_argument("--model", action="append", default=[], metavar="FILE",
                   help="compare the card with this model file (repeatable; one card only)")


def _report_arguments(p) -> None:
    p.add_argument("card", metavar="CARD")
    p.add_argument("--format", choices=("md", "html", "json"), default="md")
    p.add_argument("--lang", choices=("en", "zh"), default="en")
    p.add_argument("-o", "--output", help="write the report to this file instead of standard output")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    _evaluation_arguments(p)


def _fit_arguments(p) -> None:
    p.add_argument("card", metavar="CARD")
    p.add_argument("--use", required=True, metavar="PROFILE", help="the intended-use profile (YAML or JSON)")
    p.add_argument("--format", choices=("text", "json", "markdown", "md", "html", "nt", "ttl", "jsonld"), default="text",
                   help="markdown as diff writes it (md is the same); nt, ttl, jsonld: the result as RDF "
                        "(docs/guides/knowledge-graph.md)")
    p.add_argument("--lang", choices=("en", "zh"), default="en")
    p.add_argument("-o", "--output", help="write the result to this file instead of standard output")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)


def _assess_arguments(p) -> None:
    assess = p.add_subparsers(dest="assess_command", parser_class=_Parser, required=True)
    q = assess.add_parser("init", help="write the worksheet of every requirement of CARD awaiting evaluation")
    q.add_argument("card", metavar="CARD")
    q.add_argument("--model", action="append", default=[], metavar="FILE",
                   help="model file to compare the card with and to name in the record (repeatable)")
    q.add_argument("--verification", metavar="FILE",
                   help="a verification result written by verify --result (its requirements are not listed)")
    q.add_argument("-o", "--output", help="write the worksheet to this file instead of standard output")
    q.add_argument("--force", action="store_true", help=FORCE_HELP)


def _requirements_arguments(p) -> None:
    p.add_argument("--format", choices=("json", "md"), default="md")
    p.add_argument("--lang", choices=("en", "zh"), default="en")


def _rules_arguments(p) -> None:
    p.add_argument("--format", choices=("md", "json"), default="md")
    p.add_argument("--lang", choices=("en", "zh"), default="en")


def _schema_arguments(p) -> None:
    p.add_argument("--format", choices=tuple(SCHEMA_FORMATS), default="json-schema")
    p.add_argument("--lang", choices=("en", "zh"), default="en",
                   help="zh: the JSON Schema with Chinese titles and descriptions, for editors (json-schema only)")


def _inspect_arguments(p) -> None:
    p.add_argument("file", metavar="FILE")
    p.add_argument("--format", choices=("yaml", "json"), default="yaml")


def _verify_arguments(p) -> None:
    p.add_argument("card", metavar="CARD")
    p.add_argument("--model", required=True, metavar="FILE", help="the ONNX model file")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--lang", choices=("en", "zh"), default="en")
    p.add_argument("-o", "--output-dir", default="verify-output",
                   help="folder for the produced outputs (default: ./verify-output); never the card's folder")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.add_argument("--no-save", action="store_true", help="do not write the produced outputs")
    p.add_argument("--result", metavar="FILE",
                   help="also write the verification result (JSON) for report --verification to this file")
    p.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                   help="wall-clock seconds to load the model, and again to run each example (default 60)")
    p.add_argument("--max-memory", type=int, default=1024, metavar="MIB",
                   help="MiB of address space ONNX Runtime may add to its process (default 1024)")


def _export_arguments(p) -> None:
    p.add_argument("cards", nargs="+", metavar="CARD")
    p.add_argument("--to", choices=("ttl", "jsonld", "nt", "cyclonedx"), default="ttl",
                   help="RDF (ttl, jsonld, nt) or a CycloneDX 1.6 ML-BOM (cyclonedx, one card)")
    p.add_argument("--no-assessment", action="store_true", help="leave out the conformity assessment")
    p.add_argument("--assessment", action="append", default=[], metavar="FILE",
                   help="an assessor's record, exported with the card whose SHA-256 it names and taken into "
                        "its verdicts (repeatable)")
    p.add_argument("--model", action="append", default=[], metavar="FILE",
                   help="compare the card with this model file (repeatable; one card only)")
    p.add_argument("--verification", metavar="FILE",
                   help="a verification result written by verify --result (one card only)")
    p.add_argument("-o", "--output", help="write to this file instead of standard output")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)


def _render_arguments(p) -> None:
    p.add_argument("card", metavar="CARD")
    p.add_argument("--to", choices=("md", "html"), default="md")
    p.add_argument("-o", "--output", help="write to this file instead of standard output")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)


def _import_arguments(p) -> None:
    p.add_argument("kind").choices = _ImportKinds()  # set after add_argument, which would list them
    p.add_argument("source", metavar="SOURCE", help="metadata.json / README.md, a bundle folder, or a folder of sources")
    p.add_argument("-o", "--output", help="card file to write (folder for a batch)")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.add_argument("--lang", choices=("en", "zh"), default="en")
    p.add_argument("--version", dest="model_version", help="declare the model version if the source has none")
    p.add_argument("--provider", help="declare the provider's name if the source has none")
    p.add_argument("--provider-kind", metavar="KIND",
                   help="declare the provider kind if the source does not imply one (a value of the schema's "
                        "provider_kind: manufacturer, third_party_supplier, ...; checked against the schema)")


def _kg_arguments(p) -> None:
    kg = p.add_subparsers(dest="kg_command", parser_class=_Parser, required=True)
    q = kg.add_parser("load", help="load cards into an embedded on-disk store (the cards in the default graph, "
                                   "each card's graph found through the store's index)")
    q.add_argument("cards", nargs="*", metavar="CARD", help="card files, folders or glob patterns")
    q.add_argument("--store", required=True, metavar="DIR",
                   help="the store: an existing store, or a new or empty folder (any other folder is refused)")
    q.add_argument("--diff", nargs=2, action="append", default=[], metavar=("OLD", "NEW"),
                   help="load the comparison of two cards of a model, as diff OLD NEW makes it (repeatable)")
    q.add_argument("--fit", nargs=2, action="append", default=[], metavar=("CARD", "PROFILE"),
                   help="load the intended-use check of PROFILE against CARD, as fit CARD --use PROFILE makes it "
                        "(repeatable)")
    q.add_argument("--jobs", type=int, default=0,
                   help="processes building the graphs (default: all cores for 16 or more cards, else 1)")
    q.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the summary line")
    q.add_argument("--assessment", action="append", default=[], metavar="FILE",
                   help="an assessor's record, loaded into the graph of the card whose SHA-256 it names (repeatable)")
    # graph.store.COMPACT_CHOICES, not imported while the parser is built (a test keeps the two equal)
    q.add_argument("--compact", choices=("auto", "always", "never"), default="auto",
                   help="compact the store at the end, so that queries read it faster: auto (default) when it holds "
                        "at least twice the cards it held when last compacted (or was never compacted), always, or never")
    q = kg.add_parser("query", help="run a SPARQL query (a shipped query's name, a .rq file or the text)")
    q.add_argument("query", metavar="QUERY")
    q.add_argument("--store", required=True, metavar="DIR", help="a store made by kg load, opened read-only")
    q.add_argument("--format", choices=("table", "json", "csv"), default="table")
    q.add_argument("--timeout", type=float, default=60.0,
                   help="seconds the query may run (default 60; 0 for no limit)")
    q.add_argument("--allow-service", action="store_true",
                   help="run a query with SERVICE, letting the store send parts of it to the remote services it names")
    q.add_argument("--bind", action="append", default=[], metavar="NAME=VALUE",
                   help="give the query's variable NAME the value VALUE (an IRI or a text), e.g. card-graph's "
                        "--bind card=IRI (repeatable)")
    q = kg.add_parser("queries", help="list the shipped queries")
    q.add_argument("--lang", choices=("en", "zh"), default="en")
    q = kg.add_parser("push", help="send cards to a server store (SPARQL 1.1 Graph Store Protocol, or Update in batches)")
    q.add_argument("cards", nargs="+", metavar="CARD")
    q.add_argument("--endpoint", required=True, metavar="URL",
                   help="the Graph Store endpoint, e.g. http://localhost:7878/store (Oxigraph), "
                        "http://localhost:8890/sparql-graph-crud-auth (Virtuoso); with --protocol update the SPARQL "
                        "Update endpoint, e.g. http://localhost:7878/update, http://localhost:8890/sparql-auth")
    q.add_argument("--protocol", choices=("gsp", "update"), default="gsp",
                   help="gsp: one PUT per card (default); update: one SPARQL Update request per --batch cards")
    q.add_argument("--batch", type=int, default=50, metavar="N", help="cards per request with --protocol update (default 50)")
    q.add_argument("--user", help="user name for HTTP authentication")
    q.add_argument("--auth", choices=("basic", "digest"), default="basic",
                   help="HTTP authentication scheme for --user (default basic; Virtuoso's -auth endpoints: digest)")
    q.add_argument("--password-env", default="MCS_KG_PASSWORD", metavar="VAR",
                   help="environment variable holding the password (default MCS_KG_PASSWORD)")
    q.add_argument("--password-file", metavar="FILE",
                   help="file whose first line is the password (instead of --password-env)")
    q.add_argument("--token-env", metavar="VAR", help="environment variable holding a bearer token")
    q.add_argument("--timeout", type=float, default=30.0,
                   help="seconds each request may take in all, from connecting to the end of the reply (default 30)")
    q.add_argument("--no-vocabulary", action="store_true", help="do not push the SKOS vocabularies graph")


def _diff_arguments(p) -> None:
    p.add_argument("old", metavar="OLD", help="the card of the earlier release")
    p.add_argument("new", metavar="NEW", help="the card of the release to check")
    p.add_argument("--format", choices=("text", "json", "markdown", "nt", "ttl", "jsonld"), default="text",
                   help="nt, ttl, jsonld: the result as RDF (docs/guides/knowledge-graph.md)")
    p.add_argument("--lang", choices=("en", "zh"), default="en")
    p.add_argument("-o", "--output", help="write to this file instead of standard output")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)


def _migrate_arguments(p) -> None:
    p.add_argument("card", metavar="CARD")
    p.add_argument("--to", metavar="VERSION", help="the version to migrate to (default: the current one)")
    p.add_argument("-o", "--output", help="write the migrated card to this file (never the card itself) instead of "
                                          "standard output")
    p.add_argument("--format", choices=("yaml", "json"), default="yaml", help="of the migrated card")
    p.add_argument("--report", choices=("text", "json"), default="text", help="of the report of the changes")
    p.add_argument("--report-file", metavar="FILE", help="write the report to this file instead of standard error")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="of the text report")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)


def _init_arguments(p) -> None:
    p.add_argument("--lang", choices=("en", "zh"), default="en")
    p.add_argument("-o", "--output", help="write the template to this file")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)


# Each command: its help line and the function adding its arguments.
_SUBCOMMANDS = {
    "validate": ("validate model cards (files, folders, globs)", _validate_arguments),
    "report": ("full conformity report of one card", _report_arguments),
    "fit": ("check a device maker's intended-use profile against a card", _fit_arguments),
    "assess": ("the assessor's record: write a worksheet to fill in", _assess_arguments),
    "requirements": ("print the requirement catalogue", _requirements_arguments),
    "rules": ("list the semantic checks with the requirements they serve", _rules_arguments),
    "schema": ("print a shipped schema artifact", _schema_arguments),
    "inspect": ("read a model file and print the card fields it determines", _inspect_arguments),
    "verify": ("run an ONNX model on the card's input examples and compare outputs", _verify_arguments),
    "export": ("export cards and their conformity verdicts as RDF", _export_arguments),
    "render": ("render a card for reading, with bilingual labels (Markdown or HTML)", _render_arguments),
    "import": ("make a first card from a MONAI bundle or a Hugging Face model card", _import_arguments),
    "kg": ("knowledge graph: load cards into a store, query it, push to a server", _kg_arguments),
    "diff": ("what changed between two cards of a model, and whether it is a major update", _diff_arguments),
    "migrate": ("rewrite a card from an earlier schema version to a later one, with a report "
                "of every change",
                _migrate_arguments),
    "init": ("print a commented template card", _init_arguments),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser. With ``command``, only that command's parser is built: :func:`main`
    builds so when the first argument is a command, as building every command's parser costs a
    one-card ``validate`` a few milliseconds more (51 of argparse's message lookups). The usage line, which
    argparse prints above an error such as an unrecognized argument, still lists every command (it is
    the same text with or without ``command``); the list of commands with their help lines is shown
    only by the whole parser (``modelcard-spec -h``, or no command)."""
    parser = _Parser(prog="modelcard-spec",
                     description="Model cards for pre-trained models in AI medical devices (YY/T 1833.5).")
    parser.add_argument("--version", action="version", version=f"modelcard-spec {__version__}")
    # only one command's parser: argparse would list only it in the usage line, so the list is given
    # as the whole parser writes it (not to the whole parser, whose errors name the argument by it)
    listed = {} if command is None else {"metavar": "{" + ",".join(_SUBCOMMANDS) + "}"}
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, **listed)

    for name, (help_text, add_arguments) in _SUBCOMMANDS.items():
        if command is None or command == name:
            add_arguments(sub.add_parser(name, help=help_text))
    return parser


class _ImportKinds:
    """The choices of ``import KIND``, looked up only when an import (or its help) needs them: the
    importers are not loaded by the other commands."""

    def _kinds(self) -> tuple[str, ...]:
        from .importers import KINDS

        return KINDS

    def __contains__(self, value) -> bool:
        return value in self._kinds()

    def __iter__(self):
        return iter(self._kinds())

    def __len__(self) -> int:
        return len(self._kinds())


def _out(stream, text: str) -> None:
    """The one writer of everything the command line prints: control, reordering and invisible
    characters and lone surrogates are shown as ``\\uXXXX`` escapes (:mod:`.textsafe`; the writers of
    JSON, YAML, RDF, Markdown and HTML have already written them in their own syntax, and these
    escapes are JSON's too); a character the stream's encoding cannot hold (a non-UTF-8 locale) is
    written as a backslash escape, never an error."""
    from .spec.textsafe import json_text

    text = json_text(text)
    try:
        stream.write(text)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "ascii"
        stream.write(text.encode(encoding, "backslashreplace").decode(encoding))
    stream.flush()


def _write(text: str) -> None:
    """A command's result on standard output (JSON stays valid: the escapes are JSON escapes)."""
    _out(sys.stdout, text)


def _stderr(*lines: str) -> None:
    """A message on standard error, each of ``lines`` kept on one line (a card key, file name, pickle
    global or server reply holding a newline cannot add a line that looks like the tool's own)."""
    from .spec.textsafe import one_line

    _out(sys.stderr, "".join(one_line(line) + "\n" for line in lines))


def _emit(text: str, output: str | None, inputs=(), force: bool = False) -> int | None:
    """Write a command's result to ``output`` if given (under the output policy of
    :mod:`.safewrite`; ``inputs`` are the files the command read), else to standard output.
    Returns an exit code if the file may not be written."""
    if not output:
        _write(text)
        return None
    from .spec.safewrite import OutputError, write_file

    try:  # a lone surrogate cannot be encoded: it is written as its \uXXXX escape
        write_file(output, text.encode("utf-8", errors="backslashreplace"), inputs, force)
    except OutputError as exc:
        return _refused(exc)
    return None


def _refused(exc) -> int:
    """Exit code 2 for an output file the policy does not let a command write."""
    return _fail(exc.message, exc.message_zh, exc.path)


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _progress_bar():
    """A one-line progress bar on standard error, only when it is a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        if total < 2:
            return
        width = 30
        filled = width * done // total
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()
    return show


def _compacting_notice(store: str, lang: str):
    """What kg load calls when it starts compacting the store: a line on standard error, only when it
    is a terminal (as the progress bar)."""
    if not _isatty(sys.stderr):
        return None

    def show(cards: int) -> None:
        from .graph.store import compacting_notice

        _stderr(compacting_notice(store, cards, lang).rstrip("\n"))
    return show


def _exit_code(report) -> int:
    if not report.readable:
        return EXIT_UNREADABLE
    return EXIT_OK if report.valid else EXIT_NONCONFORMING


def cmd_validate(args) -> int:
    import os

    from .output import validation
    from .check.loading import MAX_BYTES
    from .check.pipeline import iter_validate
    from .spec.resources import schema_version

    if args.max_bytes is not None and args.max_bytes < 1:
        raise _UsageError("max-bytes")
    if args.model and len(args.cards) != 1:
        raise _UsageError("model-one-card")
    for model in args.model:
        if not os.path.isfile(model):
            raise _UsageError("model-missing", model=model)
    results = iter_validate(args.cards, max_bytes=args.max_bytes or MAX_BYTES, jobs=args.jobs,
                            # the results stream to standard output: a bar on the same terminal would cut its lines
                            progress=None if _isatty(sys.stdout) else _progress_bar(), models=tuple(args.model))
    # Each card's result is written as soon as it and every earlier card are done; only counters are kept.
    report = validation.stream_report(results, args.format, _write, tool_version=__version__,
                                      schema_version=schema_version(), lang=args.lang, base=os.getcwd(),
                                      summary=not args.no_summary)
    return _exit_code(report)


def _evaluated(args, card):
    """The model files (name -> SHA-256), the evaluations and the report context of ``report`` and
    ``assess init``: raises the DiagnosticError of a model file that cannot be read or a record
    that cannot be taken into account."""
    import os
    from pathlib import Path

    from .check import evaluations as ev
    from .spec.digests import sha256_file

    models = {}
    for model in args.model:
        if not os.path.isfile(model):
            raise _UsageError("model-missing", model=model)
        models[Path(model).name] = sha256_file(model)
    verification = getattr(args, "verification", None)
    assessment = getattr(args, "assessment", None)
    verification = ev.read_verification(verification, card, models) if verification else None
    assessment = ev.read_assessment(assessment, card, models) if assessment else None
    return models, ev.evaluations(verification, assessment), \
        ev.context(models, verification, assessment)


def _where(exc, default: str) -> str:
    """``file:line:column`` of an error about an input (the file it names, else ``default``)."""
    where = exc.where or default
    line, column = exc.issue.line, exc.issue.column
    return f"{where}:{line}:{column}" if line is not None and column is not None else where


def cmd_report(args) -> int:
    from .check.inputs import files_read
    from .check.loading import read_card
    from .check.pipeline import validate_loaded
    from .output import validation
    from .output import conformity_report
    from .spec.diagnostics import CardLoadError, CardResult

    try:
        card = read_card(args.card)
    except CardLoadError as exc:
        card, result, context = None, CardResult(card=args.card, readable=False, issues=[exc.issue]), {}
    else:
        try:
            _, evaluations, context = _evaluated(args, card)
        except DiagnosticError as exc:
            return _fail(exc.message, exc.message_zh, _where(exc, args.card))
        result = validate_loaded(card, args.card, tuple(args.model), evaluations)
    built = conformity_report.build(result, card.data if card else None, context)
    if args.format == "json":
        text = validation.to_json(built)
    elif args.format == "html":
        text = conformity_report.html_page(built, args.lang)
    else:
        text = conformity_report.markdown(built, args.lang)
    read = files_read([args.card], card.data if card else {}) + \
        [f for f in (*args.model, args.verification, args.assessment) if f]
    refused = _emit(text, args.output, read, args.force)
    if refused:
        return refused
    if not result.readable:
        return EXIT_UNREADABLE
    failed = any(e["status"] == "nonconforming" for e in result.requirements or [])
    return EXIT_OK if result.valid and not failed else EXIT_NONCONFORMING


def cmd_assess(args) -> int:
    from .check.inputs import files_read
    from .check.loading import read_card
    from .check.pipeline import validate_loaded
    from .output import assessment_worksheet

    try:
        card = read_card(args.card)
        models, evaluations, _ = _evaluated(args, card)
    except DiagnosticError as exc:
        return _fail(exc.message, exc.message_zh, _where(exc, args.card))
    result = validate_loaded(card, args.card, tuple(args.model), evaluations)
    from pathlib import Path

    text = assessment_worksheet.render(Path(args.card).name, card.sha256, result.requirements or [], models)
    read = files_read([args.card], card.data) + list(args.model) + ([args.verification] if args.verification else [])
    refused = _emit(text, args.output, read, args.force)
    return refused or EXIT_OK


def cmd_requirements(args) -> int:
    from .output.validation import requirements_json, requirements_markdown

    _write(requirements_json() if args.format == "json" else requirements_markdown(args.lang))
    return EXIT_OK


def cmd_rules(args) -> int:
    from .output.validation import rules_json, rules_markdown

    _write(rules_json() if args.format == "json" else rules_markdown(args.lang))
    return EXIT_OK


def cmd_schema(args) -> int:
    from .spec.resources import artifact_text

    editions = SCHEMA_FORMATS[args.format]
    if args.lang not in editions:
        raise _UsageError("schema-lang", lang=args.lang, format=args.format)
    _write(artifact_text(editions[args.lang]))
    return EXIT_OK


def cmd_init(args) -> int:
    from .output.init_card import render_template

    text = render_template(args.lang)
    return _emit(text, args.output, (), args.force) or EXIT_OK


def _fail(en: str, zh: str, where: str) -> int:
    _stderr(f"{where}: error: {en}", f"{where}: 错误：{zh}")
    return EXIT_UNREADABLE


def cmd_migrate(args) -> int:
    """Exit codes: 0 the card is migrated (or already at the version asked for); 2 the card cannot be
    read, or cannot be migrated as asked (no, an unknown or a later schema_version, an unknown
    --to), or an output may not be written."""
    from .check.inputs import files_read
    from .check.loading import read_card
    from .output import migration_report
    from .spec.diagnostics import CardLoadError
    from .spec.migrations import MigrationError, migrate
    from .spec.resources import schema_version

    try:
        card = read_card(args.card)
    except CardLoadError as exc:
        return _fail(exc.issue.message, exc.issue.message_zh, args.card)
    try:
        new, changes = migrate(card.data, to=args.to)
    except MigrationError as exc:
        line, column = card.locate(exc.issue.path) if exc.issue.path else (None, None)
        where = args.card + (f":{line}:{column}" if line is not None else "")
        return _fail(exc.message, exc.message_zh, where)
    source, target = card.data["schema_version"], args.to or schema_version()
    inputs = files_read([args.card], card.data)
    if args.report_file:  # both outputs are checked before either is written
        from .spec.safewrite import OutputError, check_target, same_but_case, same_target

        try:
            if args.output and same_target(args.output, args.report_file):
                raise OutputError("other-output", args.report_file, option="--output")
            if args.output and same_but_case(args.output, args.report_file):
                raise OutputError("case-only", args.report_file, option="--output")
            check_target(args.report_file, [*inputs, *([args.output] if args.output else [])], args.force)
        except OutputError as exc:
            return _refused(exc)
    refused = _emit(migration_report.card_text(new, args.format), args.output, inputs, args.force)
    if refused:
        return refused
    report = (migration_report.report_json(args.card, source, target, changes) if args.report == "json"
              else migration_report.text(args.card, source, target, changes, args.lang))
    if args.report_file:
        from .spec.safewrite import OutputError, write_file

        try:
            write_file(args.report_file, report.encode("utf-8", errors="backslashreplace"),
                       [*inputs, *([args.output] if args.output else [])], args.force)
        except OutputError as exc:
            return _refused(exc)
    else:
        _out(sys.stderr, report)
    return EXIT_OK


def cmd_inspect(args) -> int:
    from .modelfiles import fragment
    from .modelfiles.modelinfo import ModelFileError
    from .modelfiles.reader import inspect_file
    from .output.validation import to_json

    try:
        info = inspect_file(args.file)
    except (ModelFileError, OSError) as exc:
        issue = fragment.failure(exc)
        code = _fail(issue.message, issue.message_zh, args.file)
        # what was found before the error stands: a file that imports os.system is not made safe by
        # a broken byte after it
        partial = exc.info if isinstance(exc, ModelFileError) else None
        found = partial.findings if partial is not None else []
        _report_findings(args.file, found, partial)
        return EXIT_NONCONFORMING if found else code
    tool = f"modelcard-spec inspect {__version__}"
    _write(to_json(fragment.inspection(info, tool)) if args.format == "json" else fragment.inspection_yaml(info, tool))
    _report_findings(args.file, info.findings, info)
    return EXIT_NONCONFORMING if info.findings else EXIT_OK


def _report_findings(where: str, findings: list, info=None) -> None:
    """The critical lines (English, then Chinese) of the unsafe imports a pickle scan found, and the
    warning about a TorchScript archive's code (which alone does not change the exit code)."""
    from .modelfiles.fragment import finding_lines

    _stderr(*finding_lines(where, findings, info))


def cmd_verify(args) -> int:
    import os
    from pathlib import Path

    from .modelfiles import verify as vf
    from .check.loading import read_card
    from .spec.diagnostics import CardLoadError
    from .spec.digests import sha256_file
    from .spec.safewrite import OutputError

    model = Path(args.model)
    if not os.path.isfile(model):
        missing = diagnostic("verify.model", "", "missing")
        return _fail(missing.message, missing.message_zh, args.model)
    try:
        card = read_card(args.card)
    except CardLoadError as exc:
        return _fail(exc.issue.message, exc.issue.message_zh, args.card)
    if not (0 < args.timeout < 1e6) or not 0 < args.max_memory <= 1 << 24:
        raise _UsageError("verify-limits")
    out_dir = None if args.no_save else Path(args.output_dir)
    if out_dir is not None:
        card_dir, target = card.path.parent.resolve(), out_dir.resolve()
        evidence = card_dir / "evidence"
        if target == card_dir or target == evidence or evidence in target.parents:
            raise _UsageError("output-dir")
    try:
        results = vf.verify(card.data, card.path, model, out_dir, args.force,
                            vf.Limits(args.timeout, args.max_memory << 20))
    except vf.VerifyError as exc:  # about the model file, or (``where``) the card
        return _fail(exc.message, exc.message_zh, args.card if exc.where is not None else args.model)
    except OutputError as exc:
        return _refused(exc)
    model_sha256 = sha256_file(model)
    fragment = vf.evidence_fragment(results, model.name, model_sha256, card.path.parent, card.data.get("evidence"))
    if args.result:
        from .check.inputs import files_read
        from .output.validation import to_json

        record = vf.result_record(results, (card.path.name, card.sha256), (model.name, model_sha256))
        refused = _emit(to_json(record), args.result, files_read([args.card], card.data) + [args.model], args.force)
        if refused:
            return refused
    _write(vf.to_json(results, fragment, model.name) if args.format == "json" else vf.to_text(results, args.lang))
    if any(r.over_limit for r in results):
        return EXIT_UNREADABLE
    return EXIT_OK if all(r.status == "reproduces" for r in results) else EXIT_NONCONFORMING


def cmd_diff(args) -> int:
    from .check import diff
    from .check.inputs import files_read
    from .output import diff_report
    from .spec.diagnostics import CardLoadError

    try:
        if args.format in RDF_FORMATS:
            from .graph import rdf, results

            graph = results.diff_graph(args.old, args.new)
        else:
            result = diff.diff(args.old, args.new)
    except CardLoadError as exc:
        return _fail(exc.message, exc.message_zh, _where(exc, args.new))
    if args.format in RDF_FORMATS:
        refused = _emit(rdf.serialise(graph.lines, args.format), args.output,
                        files_read([args.old, args.new]) if args.output else (), args.force)
        return refused or (EXIT_OK if graph.ok else EXIT_NONCONFORMING)
    if args.format == "json":
        text = diff_report.to_json_text(result)
    elif args.format == "markdown":
        text = diff_report.to_markdown(result, args.lang)
    else:
        text = diff_report.to_text(result, args.lang)
    refused = _emit(text, args.output, files_read([args.old, args.new]) if args.output else (), args.force)
    if refused:
        return refused
    return EXIT_OK if result.valid else EXIT_NONCONFORMING


def cmd_fit(args) -> int:
    from .check import fit
    from .check.loading import read_card
    from .output import fit_report
    from .spec.diagnostics import CardLoadError

    try:
        card = read_card(args.card)
    except CardLoadError as exc:
        return _fail(exc.issue.message, exc.issue.message_zh, _where(exc, args.card))
    try:
        profile = fit.read_profile(args.use)
    except DiagnosticError as exc:
        return _fail(exc.message, exc.message_zh, _where(exc, args.use))
    rep = fit.fit(card, profile, args.card)
    if args.format in RDF_FORMATS:
        from .graph import rdf, results

        text = rdf.serialise(results.fit_triples(rep, card.data), args.format)
    elif args.format == "json":
        text = fit_report.json_report(rep)
    elif args.format == "html":
        text = fit_report.html_page(rep, args.lang)
    elif args.format in ("markdown", "md"):
        text = fit_report.markdown(rep, args.lang)
    else:
        text = fit_report.text(rep, args.lang)
    refused = _emit(text, args.output, [args.card, args.use], args.force)
    if refused:
        return refused
    return EXIT_OK if rep["verdict"] == fit.FITS else EXIT_NONCONFORMING


def cmd_render(args) -> int:
    from .check.inputs import files_read
    from .output import card_view
    from .spec.diagnostics import CardLoadError
    from .check.loading import read_card

    try:
        card = read_card(args.card)
    except CardLoadError as exc:
        return _fail(exc.issue.message, exc.issue.message_zh, args.card)
    text = card_view.markdown(card.data) if args.to == "md" else card_view.html_page(card.data)
    return _emit(text, args.output, files_read([args.card], card.data), args.force) or EXIT_OK


def cmd_import(args) -> int:
    from pathlib import Path

    from . import importers
    from .importers import batch
    from .output import import_summary as summary
    from .spec.safewrite import OutputError, prepare_folder

    src = Path(args.source)
    try:
        single = importers.is_single(args.kind, src)
    except importers.SourceError as exc:
        return _fail(exc.message, exc.message_zh, args.source)
    kinds = importers.provider_kinds()
    if args.provider_kind is not None and args.provider_kind not in kinds:
        raise _UsageError("provider-kind", kinds=list(kinds), kinds_zh="、".join(kinds))
    declared = {"version": args.model_version, "provider_name": args.provider, "provider_kind": args.provider_kind}
    if single:
        notes: list = []
        try:
            card = importers.import_source(args.kind, src, declared, notes=notes)
        except importers.SourceError as exc:
            return _fail(*summary.refused(exc.message, exc.message_zh), args.source)
        refused = _emit(importers.dump(card), args.output, importers.inputs(args.kind, src), args.force)
        if refused:
            return refused
        missing, gaps = batch.shortfall(card)
        _stderr(*summary.notes(args.source, notes), summary.done(card, notes, args.lang), *summary.kept(card, args.lang),
                *summary.not_given(missing), summary.gaps(gaps, args.lang))
        return EXIT_OK
    if not args.output:
        raise _UsageError("folder-needs-output")
    try:
        out = prepare_folder(args.output)
    except OutputError as exc:
        return _refused(exc)
    rows, failed = [], 0
    for result in batch.import_folder(args.kind, src, out, declared, args.force):
        if result.refusal is not None:
            _fail(*summary.refused(result.refusal.message, result.refusal.message_zh), str(result.source))
        elif result.not_written is not None:
            _fail(result.not_written.message, result.not_written.message_zh, str(result.card))
        else:
            _stderr(*summary.notes(str(result.source), result.notes),
                    f"{result.source}: " + summary.done(result.card_data, result.notes, args.lang),
                    *(f"{result.source}: {line}" for line in summary.kept(result.card_data, args.lang)))
            rows.append((result.stem, result.coverage))
            continue
        failed += 1
    _write(summary.coverage_table(rows, args.lang))
    return EXIT_UNREADABLE if failed else EXIT_OK


def cmd_export(args) -> int:
    import os

    from .check.inputs import files_read_by_export
    from .graph import assessment, export
    from .graph.assessment import card_files
    from .output import cyclonedx
    from .spec.diagnostics import DiagnosticError

    try:
        files = card_files(args.cards)
    except DiagnosticError as exc:
        return _fail(exc.message, exc.message_zh, exc.where)
    if args.to == "cyclonedx" and len(files) != 1:
        raise _UsageError("cyclonedx-one-card")
    evaluated = assessment.Evaluated(tuple(args.model), args.verification)
    if (args.assessment or evaluated != assessment.NOTHING_EVALUATED) and (args.no_assessment or args.to == "cyclonedx"):
        raise _UsageError("export-evaluations")
    if evaluated != assessment.NOTHING_EVALUATED and len(files) != 1:
        raise _UsageError("evaluations-one-card")
    for model in args.model:
        if not os.path.isfile(model):
            raise _UsageError("model-missing", model=model)
    try:
        if args.to == "cyclonedx":
            text = cyclonedx.export_file(files[0])
        else:
            text = export.document(files, args.to, not args.no_assessment, args.assessment, evaluated)
    except DiagnosticError as exc:  # about a card or record (where, or the one card), else about the export
        return _fail(exc.message, exc.message_zh, exc.where or (str(files[0]) if args.to == "cyclonedx" else "export"))
    read = files_read_by_export(files, args.output) + \
        [f for f in (*args.assessment, *args.model, args.verification) if f]
    return _emit(text, args.output, read, args.force) or EXIT_OK


def cmd_kg(args) -> int:
    import os

    from .graph import push, results, sparql
    from .graph import store as kg_store
    from .spec.diagnostics import DiagnosticError

    try:
        if args.kg_command == "load":
            if not (args.cards or args.diff or args.fit):
                raise _UsageError("kg-load-nothing")
            # the results first: a card or profile that cannot be read stops kg load before any write
            graphs = [results.diff_graph(old, new) for old, new in args.diff]
            graphs += [results.fit_graph(card, profile) for card, profile in args.fit]
            if args.cards:
                loaded = kg_store.load(args.cards, args.store, progress=_progress_bar(), jobs=args.jobs,
                                       records=args.assessment, compact_store=args.compact,
                                       compacting=_compacting_notice(args.store, args.lang))
                _write(kg_store.summary(loaded, args.store, args.lang))
            if graphs:
                _write(kg_store.results_summary(kg_store.load_results(graphs, args.store), args.store, args.lang))
        elif args.kg_command == "query":
            result = sparql.query(args.store, sparql.resolve_query(args.query), allow_service=args.allow_service,
                                  timeout=args.timeout or None, bind=args.bind)
            _write(sparql.render(result, args.format))
        elif args.kg_command == "queries":
            _write(sparql.render_queries(args.lang))
        else:
            token = os.environ.get(args.token_env) if args.token_env else None
            if args.token_env and not token:
                raise _UsageError("token-env", variable=args.token_env)
            password = None
            if args.user is not None and args.password_file:
                password = _password_file(args.password_file)
            elif args.user is not None:
                password = os.environ.get(args.password_env)
            if args.batch < 1:
                raise _UsageError("push-batch")
            _write(push.render(push.push(args.cards, args.endpoint, args.user, password, token, args.timeout,
                                         not args.no_vocabulary, auth=args.auth, protocol=args.protocol,
                                         batch=args.batch)))
    except _UsageError:
        raise
    except DiagnosticError as exc:
        if exc.where:  # the card the message is about
            return _fail(f"{exc.where}: {exc.message}", f"{exc.where}：{exc.message_zh}", f"kg {args.kg_command}")
        return _fail(exc.message, exc.message_zh, f"kg {args.kg_command}")
    return EXIT_OK


def _password_file(path: str) -> str:
    """The first line of ``path`` (without its line break): kg push's password, read from a file so
    that it never appears on a command line."""
    import os
    import stat

    try:  # opened without blocking (a FIFO with no writer), read only if a regular file, and bounded
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise _UsageError("password-file", file=path, reason="not a regular file")
            head = f.read(_PASSWORD_MAX + 1)
    except OSError as exc:
        raise _UsageError("password-file", file=path, reason=exc.strerror or type(exc).__name__) from None
    line = head.split(b"\n", 1)[0]
    if len(line) > _PASSWORD_MAX:
        raise _UsageError("password-file", file=path, reason=f"its first line is longer than {_PASSWORD_MAX} bytes")
    try:
        return line.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        raise _UsageError("password-file", file=path, reason="not UTF-8") from None


_PASSWORD_MAX = 4096


register(Check("run.interrupted", "error", "The command runs to its end", "命令执行完毕",
               {"": ("interrupted (Ctrl-C): what was written before is incomplete",
                     "已中断（Ctrl-C）：此前已写出的内容不完整")}, scope="command"))
register(Check("usage.options", "error", "The options given fit together", "所给选项可同时使用且取值有效", {
    "max-bytes": ("--max-bytes must be a positive number of bytes", "--max-bytes 应为正的字节数"),
    "model-one-card": ("--model compares one card with its model files; give exactly one CARD",
                       "--model 用于将一张模型卡与其模型文件比对；请只给出一个 CARD"),
    "model-missing": ("--model {model}: no such file", "--model {model}：文件不存在"),
    "provider-kind": ("--provider-kind must be one of {kinds}", "--provider-kind 应为以下之一：{kinds_zh}"),
    "folder-needs-output": ("a folder of sources needs -o OUTPUT_FOLDER for the cards",
                            "导入来源文件夹时应用 -o OUTPUT_FOLDER 指定模型卡的输出文件夹"),
    "cyclonedx-one-card": ("--to cyclonedx exports one card; give exactly one CARD",
                           "--to cyclonedx 只导出一张模型卡；请只给出一个 CARD"),
    "export-evaluations": ("--assessment, --model and --verification go into the conformity assessment of an RDF "
                           "export: not with --no-assessment or --to cyclonedx",
                           "--assessment、--model 和 --verification 用于 RDF 导出中的符合性评价结果：不能与 "
                           "--no-assessment 或 --to cyclonedx 同时使用"),
    "evaluations-one-card": ("--model and --verification are about one card; give exactly one CARD",
                             "--model 和 --verification 针对一张模型卡；请只给出一个 CARD"),
    "token-env": ("--token-env {variable}: the variable is not set", "--token-env {variable}：该环境变量未设置"),
    "password-file": ("--password-file {file}: cannot read it ({reason})", "--password-file {file}：无法读取（{reason}）"),
    "push-batch": ("--batch must be a positive number of cards", "--batch 应为正的模型卡张数"),
    "kg-load-nothing": ("kg load needs a CARD, --diff OLD NEW or --fit CARD PROFILE",
                        "kg load 需要 CARD、--diff OLD NEW 或 --fit CARD PROFILE 至少一项"),
    "verify-limits": ("--timeout must be more than 0 and less than 1,000,000 seconds, --max-memory from 1 to "
                      "16,777,216 MiB", "--timeout 应大于 0 且小于 1,000,000 秒，--max-memory 应为 1 至 16,777,216 MiB"),
    "output-dir": ("--output-dir must not be the card's own folder or its evidence folder",
                   "--output-dir 不应为模型卡所在文件夹或其证据文件夹"),
    "schema-lang": ("--lang {lang} applies to --format json-schema only; print {format} without --lang",
                    "--lang {lang} 仅适用于 --format json-schema；输出 {format} 时请勿指定 --lang"),
}, scope="command"))


class _UsageError(DiagnosticError):
    """A usage error the tool itself finds (exit code 2): a variant of ``usage.options``."""

    def __init__(self, variant: str, **params):
        super().__init__("usage.options", variant, **params)


COMMANDS = {"validate": cmd_validate, "report": cmd_report, "requirements": cmd_requirements,
            "rules": cmd_rules, "schema": cmd_schema, "init": cmd_init, "inspect": cmd_inspect,
            "verify": cmd_verify, "export": cmd_export, "kg": cmd_kg, "import": cmd_import,
            "render": cmd_render, "assess": cmd_assess, "diff": cmd_diff,
            "fit": cmd_fit, "migrate": cmd_migrate}


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    parser = build_parser(words[0] if words and words[0] in _SUBCOMMANDS else None)
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help(sys.stderr)
        return EXIT_UNREADABLE
    try:
        return COMMANDS[args.command](args)
    except _UsageError as exc:
        parser.usage_error(str(exc), exc.message_zh)
        return EXIT_UNREADABLE
    except BrokenPipeError:  # e.g. piped into `head`
        return EXIT_OK
    except KeyboardInterrupt:
        stopped = diagnostic("run.interrupted")
        _stderr(f"modelcard-spec: {stopped.message}", f"modelcard-spec：{stopped.message_zh}")
        return 130


def run() -> None:
    """The command's entry point (the ``modelcard-spec`` script and ``python -m modelcard_spec.cli``):
    :func:`main`, then exit with its code.

    Before exiting, every object left is moved out of the garbage collector's reach
    (:func:`gc.freeze`). The collections the interpreter makes as it exits walk every object still
    alive, the generated artifacts a command has read among them (the schema index, the card's JSON
    Schema, the catalogue): about a fifth of the CPU of validating one card (docs/benchmarks.md).
    Output is still flushed and exit handlers still run, and the memory is returned when the process
    ends; only objects in reference cycles are no longer finalized (main leaves no open file in one).
    Only here, not in :func:`main`, which a program may call many times in one process."""
    code = main()
    import gc

    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
