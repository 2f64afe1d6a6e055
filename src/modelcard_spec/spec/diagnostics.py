"""Diagnostic objects shared by every layer: one located, bilingual problem report each."""

from __future__ import annotations

from dataclasses import dataclass, field

SEVERITIES = ("error", "warning", "info")

# Exit codes of the command line, documented in the README.
EXIT_OK = 0
EXIT_NONCONFORMING = 1
EXIT_UNREADABLE = 2


# The checks that are not rule functions (loading, structure, conformity):
# id -> (title, Chinese title, default severity, requirements it reports against).
CHECKS = {
    "load": ("The file can be read as a model card", "文件可作为模型卡读取", "error", "-"),
    "schema": ("The card conforms to the JSON Schema generated from the specification",
               "模型卡符合由规范生成的 JSON Schema", "error", "the requirement the field serves"),
    "conformity.missing-field": ("A claimed requirement has all its fields", "已声明采用的要求具备其全部字段",
                                 "error (warning if recommended)", "the claimed requirement"),
    "conformity.unknown-requirement": ("Claims name requirements of the catalogue", "声明的要求存在于要求目录中",
                                       "error", "MCS-GEN-07"),
    "conformity.duplicate": ("Each requirement is declared once", "每项要求只声明一次", "error", "MCS-GEN-07"),
    "conformity.justification": ("A requirement not applied is justified", "不采用的要求应说明理由", "error", "MCS-GEN-07"),
    "conformity.kind": ("Claims apply to the card's provider kind", "所声明的要求适用于该提供方类型", "warning", "MCS-GEN-07"),
    "conformity.catalogue-version": ("Claims refer to this catalogue version", "声明引用本要求目录版本", "warning", "MCS-GEN-07"),
    "model": ("The card agrees with the delivered model file (validate --model): digest, size, format, "
              "parameter count, precision, nodes, opset, operators, no unsafe pickle globals",
              "模型卡与交付的模型文件一致（validate --model）：摘要、大小、格式、参数量、精度、节点、算子集、算子、无不安全的 pickle 全局对象",
              "error", "MCS-PA-01, MCS-PA-02, MCS-PA-03, MCS-PA-06, MCS-ND-01, MCS-ND-04"),
    "internal": ("The validator ran every check", "验证工具执行了全部检查", "error", "the requirements of the check that failed"),
}


@dataclass(frozen=True)
class Issue:
    """One problem found in a card.

    ``path`` is a JSON Pointer into the card; ``requirement`` the catalogue ID the field serves
    (``None`` if the field serves none); ``rule`` the ID of the check that found it.
    """

    severity: str
    rule: str
    path: str
    message: str
    message_zh: str
    requirement: str | None = None
    line: int | None = None
    column: int | None = None

    def to_dict(self) -> dict:
        data = {
            "severity": self.severity,
            "requirement": self.requirement,
            "path": self.path,
            "rule": self.rule,
            "message": self.message,
            "message_zh": self.message_zh,
        }
        if self.line is not None:
            data["line"] = self.line
            data["column"] = self.column
        return data

    def sort_key(self) -> tuple:
        return (self.line or 0, self.column or 0, self.path, self.rule, self.message)


@dataclass
class CardResult:
    """The outcome of validating one card file."""

    card: str
    issues: list[Issue] = field(default_factory=list)
    readable: bool = True
    sha256: str | None = None
    requirements: list[dict] | None = None

    @property
    def valid(self) -> bool:
        return self.readable and not any(i.severity == "error" for i in self.issues)

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for i in self.issues if i.severity == s) for s in SEVERITIES}


class CardLoadError(Exception):
    """A card file that cannot be read as a model card at all (exit code 2)."""

    def __init__(self, rule: str, message: str, message_zh: str, line: int | None = None,
                 column: int | None = None, path: str = ""):
        super().__init__(message)
        self.issue = Issue("error", rule, path, message, message_zh, None, line, column)
