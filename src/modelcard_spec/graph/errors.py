"""The one error of the graph layer: a card, store, query or endpoint problem, reported as a
registered diagnostic (the ``kg.*`` checks are registered by the modules that raise them:
:mod:`.store`, :mod:`.sparql`, :mod:`.push`; ``export.*`` by :mod:`.export`; the two that several
of them raise, here); and importing pyoxigraph, or the error that says it is needed."""

from __future__ import annotations

from ..spec.diagnostics import DiagnosticError, Issue
from ..spec.registry import Check, register

register(Check("kg.pyoxigraph-missing", "error", "The graph library (pyoxigraph) is installed", "已安装图数据库程序库 pyoxigraph",
               {"store": ("the embedded store needs pyoxigraph: pip install 'modelcard-spec[kg]'",
                          "内嵌存储库需要 pyoxigraph：pip install 'modelcard-spec[kg]'"),
                "vocabulary": ("the SKOS vocabularies graph needs pyoxigraph: pip install 'modelcard-spec[kg]' "
                               "(or use --no-vocabulary)",
                               "SKOS 词表图需要 pyoxigraph：pip install 'modelcard-spec[kg]'（或使用 --no-vocabulary）")},
               scope="command"))
# A time limit given on the command line that is not one (kg query, kg push).
register(Check("kg.timeout-invalid", "error", "--timeout is a usable number of seconds", "--timeout 为可用的秒数",
               {"query": ("--timeout must be a positive number of seconds, or 0 for no limit",
                          "--timeout 应为正的秒数，或为 0（表示不限时）"),
                "push": ("--timeout must be a positive number of seconds", "--timeout 应为正的秒数")},
               scope="command"))


class KgError(DiagnosticError):
    """A card that cannot be read, or a store, query or endpoint problem, reported with exit code 2:
    ``issue`` is the diagnostic of a registered check (``message``, ``message_zh``); ``where`` is
    the card file (or the input pattern) a message is about, if any (the messages do not name it
    again)."""

    @classmethod
    def of(cls, issue: Issue, where: str | None = None) -> "KgError":
        """The error of a card (or an input naming cards) the graph layer cannot read: the loader's
        own diagnostic ``issue`` (``load.*``, already rendered in both languages), about ``where``."""
        error = cls.__new__(cls)
        Exception.__init__(error, issue.message)
        error.issue, error.where = issue, where
        return error


def pyoxigraph(needed_for: str):
    """The pyoxigraph module; :class:`KgError` ``kg.pyoxigraph-missing`` (variant ``needed_for``:
    "store" or "vocabulary") when it is not installed (it is the optional extra ``kg``)."""
    try:
        import pyoxigraph
    except ImportError:
        raise KgError("kg.pyoxigraph-missing", needed_for) from None
    return pyoxigraph
