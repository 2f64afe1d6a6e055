"""The ``modelcard-spec`` command line.

Exit codes: 0 every card conforms; 1 a card has errors; 2 unreadable input or a usage error.
"""

from __future__ import annotations

import argparse
import sys

from . import __version__
from .diagnostics import EXIT_NONCONFORMING, EXIT_OK, EXIT_UNREADABLE

SCHEMA_FORMATS = {"json-schema": "json-schema", "shacl": "shacl", "owl": "owl", "jsonld-context": "jsonld-context"}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors: exit 2 with a bilingual hint, never a traceback
        self.print_usage(sys.stderr)
        self.exit(EXIT_UNREADABLE, f"{self.prog}: error: {message}\n{self.prog}: 用法错误：{message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="modelcard-spec",
                     description="Model cards for pre-trained models in AI medical devices (YY/T 1833.5).")
    parser.add_argument("--version", action="version", version=f"modelcard-spec {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    p = sub.add_parser("validate", help="validate model cards (files, folders, globs)")
    p.add_argument("cards", nargs="+", metavar="CARD")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--lang", choices=("en", "zh"), default="en")
    p.add_argument("--max-bytes", type=int, default=None, help="largest card file accepted (default 10 MiB)")

    p = sub.add_parser("requirements", help="print the requirement catalogue")
    p.add_argument("--format", choices=("json", "md"), default="md")
    p.add_argument("--lang", choices=("en", "zh"), default="en")

    p = sub.add_parser("schema", help="print a shipped schema artifact")
    p.add_argument("--format", choices=tuple(SCHEMA_FORMATS), default="json-schema")

    p = sub.add_parser("init", help="print a commented template card")
    p.add_argument("--lang", choices=("en", "zh"), default="en")
    p.add_argument("-o", "--output", help="write the template to this file (never overwrites)")
    return parser


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def cmd_validate(args) -> int:
    from .loading import MAX_BYTES
    from .render import report_text, to_json
    from .validator import validate

    report = validate(args.cards, max_bytes=args.max_bytes or MAX_BYTES)
    _write(to_json(report.to_dict()) if args.format == "json" else report_text(report, args.lang))
    if not report.readable:
        return EXIT_UNREADABLE
    return EXIT_OK if report.valid else EXIT_NONCONFORMING


def cmd_requirements(args) -> int:
    from .render import requirements_json, requirements_markdown

    _write(requirements_json() if args.format == "json" else requirements_markdown(args.lang))
    return EXIT_OK


def cmd_schema(args) -> int:
    from ._resources import artifact_text

    _write(artifact_text(SCHEMA_FORMATS[args.format]))
    return EXIT_OK


def cmd_init(args) -> int:
    from .template import render_template

    text = render_template(args.lang)
    if args.output:
        from pathlib import Path

        target = Path(args.output)
        if target.exists():
            sys.stderr.write(f"modelcard-spec: {target} exists; not overwriting\n"
                             f"modelcard-spec：{target} 已存在，不会覆盖\n")
            return EXIT_UNREADABLE
        target.write_text(text, encoding="utf-8")
        return EXIT_OK
    _write(text)
    return EXIT_OK


COMMANDS = {"validate": cmd_validate, "requirements": cmd_requirements, "schema": cmd_schema, "init": cmd_init}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help(sys.stderr)
        return EXIT_UNREADABLE
    try:
        return COMMANDS[args.command](args)
    except BrokenPipeError:  # e.g. piped into `head`
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
