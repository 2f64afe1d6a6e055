"""Names from the schema: every class, slot, pointer and requirement ID that the code names in a
string literal exists in the schema (or the catalogue), so renaming a field in ``schema/`` cannot
leave code that silently reads nothing.

A key the code reads from a mapping (``x["key"]``, ``x.get("key")``) must be a slot, class, enum,
enum value or prefix of the schema, a key of the generated schema index, or a key of a foreign format that
the module is listed below as reading or writing. Pointers written whole (``"/model_parameters/
weight_files"``) must lead from the card's root through the schema's classes; pointer tails in
f-strings (``f"{ptr}/amount_used"``) must name slots."""

from __future__ import annotations

import ast
import re

import pytest

from conftest import ROOT
from modelcard_spec.spec import catalogue
from modelcard_spec.spec.resources import schema_index

PACKAGE = ROOT / "src" / "modelcard_spec"
INDEX = schema_index()
SLOTS = {s for c in INDEX["classes"].values() for s in c["slots"]}
CLASSES = set(INDEX["classes"])
ENUMS = set(INDEX["enums"])
ENUM_VALUES = {v for e in INDEX["enums"].values() for v in e["values"]}
PREFIXES = set(INDEX["prefixes"])

# Keys of the generated schema index and catalogue (artifacts of schema/, read as data).
INDEX_KEYS = {"classes", "slots", "enums", "values", "range", "inlined", "root_class", "slot_order",
              "multivalued", "required", "description_zh", "annotations", "any_of", "meaning", "types",
              "uri", "areas", "properties", "prefixes", "exact_mappings", "order", "previous_versions",
              "renamed_from", "placeholder", "placeholders",
              # the catalogue's trace of the source statements (tools/generate.py: traced_statements, trace_coverage)
              "coverage", "full_share", "scopes", "trace_vocabulary", "locator"}
# Keys of formats that are not the card, by the module that reads or writes them.
FOREIGN = {
    "check/structural.py": {"enum", "number", "actual", "expected", "items",  # JSON Schema keywords and types; its params
                            "additionalProperties"},
    "check/conformity.py": {"claimed_automatically", "evaluated_by"},  # keys of the per-requirement status entries
    "check/evaluations.py": {"assessment", "verification"},  # what a report shows about the records
    "check/diff.py": {"pointers", "driver", "list_keys",  # the catalogue's update rules
                      "old", "new"},  # the documented JSON shape of a diff
    "check/updates.py": {"update_rules", "pointers", "drivers"},  # the catalogue's update rules
    "check/fit.py": {"dimension", "field", "list", "matches", "term"},  # the fit result's keys; FitDimension's annotation
    "graph/push.py": {"Authorization", "Location", "Content-Type", "User-Agent",  # HTTP headers
                      "algorithm", "auth", "auth-int", "nonce", "opaque", "qop", "realm", "stale"},  # RFC 7616 Digest
    "graph/rdf.py": {"integer"},                          # a LinkML type in a slot's any_of
    "graph/results.py": {"dimension", "dimensions", "profile", "reasons", "severity"},  # the fit result's and an issue's keys
    "graph/sparql.py": {"datatype", "error", "xml:lang"},  # SPARQL results JSON
    "importers/common.py": {"aliases"},  # the metric vocabulary's annotations
    "importers/huggingface.py": {"args", "base_model_relation", "config", "license_link", "license_name", "metrics", "tags",
                                 "model-index", "model_name", "pipeline_tag", "revision"},
    "importers/monai.py": {"channel_def", "num_channels", "spatial_shape", "network_def", "_target_",  # a bundle's files
                           "aliases"},  # the Modality vocabulary's annotations
    "modelfiles/_onnxchild.py": {"arrays", "cpu_seconds", "max_input_bytes", "max_output_bytes", "memory", "parent",
                                 "bad_alloc"},
    "modelfiles/pickles.py": {"objects", "opcodes", "streams"},
    "modelfiles/onnxfile.py": {"ai.onnx", "length", "location", "offset"},  # ONNX opset domains, external data
    "modelfiles/safetensorsfile.py": {"__metadata__", "data_offsets"},
    "modelfiles/torchfile.py": {"members"},
    "modelfiles/verify.py": {"", "over_limit", "problems", "saved", "card_fragment"},  # a .npy's one array; the JSON report
    "modelfiles/verifyarrays.py": {""},
    "modelfiles/verifyrun.py": {"error", "memory", "over", "started"},  # replies of the ONNX Runtime process
    "output/conformity_report.py": {"header", "issues", "origins", "severity",
                                    "unattributed_issues", "valid", "adopted", "assessment", "catalogue_derivation",
                                    "catalogue_derivation_zh", "claimed_automatically", "counts", "declared_standard",
                                    "documented", "in_scope", "models", "review", "totals", "verification",
                                    "evaluated_by", "scores", "awaiting", "open", "other"},  # and its sections
    "output/fit_report.py": {"dimension", "dimensions", "field", "list", "matches", "not_compared", "profile",
                             "reasons", "term", "text_matches"},  # the keys of the fit result
    "output/cyclonedx.py": {"approach", "architectureFamily", "bom-ref", "components", "confidenceInterval",
                            "considerations", "contact", "contents", "data", "ethicalConsiderations",
                            "externalReferences", "governance", "hashes", "licenses", "modelArchitecture",
                            "modelCard", "modelParameters", "quantitativeAnalysis", "slice", "supplier",
                            "technicalLimitations", "useCases"},
    "output/validation.py": {"error", "logicalLocations", "nonconforming", "params", "physicalLocation", "startColumn",
                             "totals", "warning", "ruleId", "ruleIndex"},  # SARIF's (a streamed result gets its index)
    "spec/diagnostics.py": {"column", "line", "params"},
    "spec/registry.py": {"__name__"},        # the module that registers a check
    "spec/shapes.py": {"shape.mismatch"},    # a check of the registry
    "spec/resources.py": {"versions"},       # previous_schemas.json (tools/generate.py)
    "spec/migrations/base.py": {"$ref", "$defs", "anyOf", "items"},  # JSON Schema keywords (the frozen schemas)
    "output/migration_report.py": {"missing", "to_extensions"},     # kinds of change (migrations.base.KINDS)
    "cli.py": {"added", "replaced", "unchanged", "type_zh",
               "COLUMNS"},  # the environment variable of the terminal width (as shutil reads it)
}
# Strings shaped like pointers that are not pointers into a card, by module.
FOREIGN_PATHS = {
    # pointers into the assessor's record and the verification result (schema classes AssessmentRecord and
    # VerificationResult), not into a card
    "check/evaluations.py": {"/card/sha256", "/model/sha256", "/model_files", "/catalogue_version", "/assessed_on"},
    "graph/rdf.py": {"/assessment"},          # the path of an assessment's IRI
    "spec/iris.py": {"/fit", "/from"},        # the paths of a fit's and a diff's IRI
    # pointers into an intended-use profile (schema class IntendedUseProfile), not into a card
    "check/fit.py": {"/acquisition/devices", "/acquisition/image_size_minimum", "/body_parts", "/deployment/hardware",
                     "/deployment/mode", "/deployment/system_memory_gb", "/modalities", "/population/age_range",
                     "/population/sexes", "/target_task/task_type", "/description", "/target_task/description",
                     "/population/description", "/acquisition/description"},
    # pointers into a MONAI bundle's metadata (where a value was found), not into a card
    "importers/monai.py": {"/authors", "/description", "/intended_use", "/task"},
    "modelfiles/_onnxchild.py": {"/proc/self/status"},
    "modelfiles/torchfile.py": {"/data"},    # the folder of a PyTorch archive's tensors
}
_POINTER = re.compile(r"(/[A-Za-z_][A-Za-z0-9_]*|/[0-9]+)+")
_REQUIREMENT = re.compile(r"MCS-[A-Z]+-[0-9]+")


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        if "generated" not in path.parts:
            yield path.relative_to(PACKAGE).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def _string(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _keys():
    """(module, line, key) of every string key read from or written to a mapping, tested for with
    ``in``, or passed to ``get_in``. (Keys of dict literals are not read: most build other formats.)"""
    for module, tree in _modules():
        for node in ast.walk(tree):
            key = None
            if isinstance(node, ast.Subscript):
                key = _string(node.slice)
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) in ("get", "setdefault", "pop") \
                    and node.args:
                key = _string(node.args[0])
            elif isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn)):
                key = _string(node.left)  # "file_name" in weight: a key tested for (not a substring test)
                key = key if key and re.fullmatch(r"[a-z][a-z0-9_]*", key) else None
            elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "get_in":
                for arg in node.args[1:]:
                    if _string(arg) is not None:
                        yield module, node.lineno, _string(arg)
            if key is not None:
                yield module, node.lineno, key


def _pointers():
    """(module, line, pointer, whole) of every pointer-like string: whole when written alone, a
    tail when it follows a formatted value in an f-string."""
    for module, tree in _modules():
        tails = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                for before, part in zip(node.values, node.values[1:]):
                    text = _string(part)
                    if isinstance(before, ast.FormattedValue) and text:
                        match = _POINTER.match(text)
                        if match:
                            tails.add(id(part))
                            yield module, node.lineno, match.group(0), False
                for part in node.values:
                    tails.add(id(part))
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and _string(node.right):
                match = _POINTER.fullmatch(_string(node.right))
                if match:  # base + "/sha256"
                    tails.add(id(node.right))
                    yield module, node.lineno, match.group(0), False
        for node in ast.walk(tree):
            text = _string(node)
            if text and id(node) not in tails and _POINTER.fullmatch(text) and text.count("/") >= 1 \
                    and text[1:2].islower():
                yield module, node.lineno, text, True


def _resolves(pointer: str) -> bool:
    """True when ``pointer`` leads from the root class through the schema's slots (list indexes allowed)."""
    cls = INDEX["root_class"]
    for token in pointer.strip("/").split("/"):
        if token.isdigit():
            continue
        slot = INDEX["classes"].get(cls, {}).get("slots", {}).get(token) if cls else None
        if slot is None:
            return False
        cls = slot["range"] if slot["kind"] == "class" else None
    return True


def test_every_key_the_code_reads_is_a_schema_name_or_a_listed_foreign_key():
    known = SLOTS | CLASSES | ENUMS | ENUM_VALUES | PREFIXES | INDEX_KEYS
    stray = sorted((m, line, k) for m, line, k in _keys() if k not in known and k not in FOREIGN.get(m, set()))
    assert stray == []


# Modules that write card content (fragments to paste into a card, imported cards).
CARD_WRITERS = ("modelfiles/fragment.py", "modelfiles/verify.py", "importers/")


def test_every_key_of_card_content_the_code_writes_is_a_schema_name():
    """A dict literal that builds card content (in a module that writes some, a literal most of
    whose keys are slots) has only schema names as keys: a misspelt field in a fragment would be
    pasted into cards."""
    known = SLOTS | CLASSES | ENUMS | ENUM_VALUES | PREFIXES | INDEX_KEYS
    stray = []
    for module, tree in _modules():
        if not module.startswith(CARD_WRITERS):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                keys = [k for k in map(_string, filter(None, node.keys)) if k is not None]
                if len(keys) >= 2 and 2 * sum(k in SLOTS for k in keys) >= len(keys):
                    stray += [(module, node.lineno, k) for k in keys if k not in known | FOREIGN.get(module, set())]
    assert stray == []


def test_the_foreign_key_lists_hold_no_schema_name():
    """A foreign key that is also a slot would escape the check above when the slot is renamed."""
    assert {m: keys & SLOTS for m, keys in FOREIGN.items() if keys & SLOTS} == {}


def test_every_whole_pointer_in_the_code_leads_through_the_schema():
    wrong = sorted((m, line, p) for m, line, p, whole in _pointers()
                   if whole and not _resolves(p) and p not in FOREIGN_PATHS.get(m, set()))
    assert wrong == []


def test_every_pointer_tail_in_the_code_names_slots():
    wrong = sorted((m, line, p) for m, line, p, whole in _pointers() if not whole
                   and p not in FOREIGN_PATHS.get(m, set())
                   and any(not t.isdigit() and t not in SLOTS for t in p.strip("/").split("/")))
    assert wrong == []


def test_every_class_the_code_asks_for_exists():
    wrong = []
    for module, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) in ("instances", "by_id", "ids") \
                    and node.args and _string(node.args[0]) is not None and _string(node.args[0]) not in CLASSES:
                wrong.append((module, node.lineno, _string(node.args[0])))
    assert wrong == []


def test_every_requirement_id_in_the_code_is_in_the_catalogue():
    known = set(catalogue.by_id())
    wrong = []
    for module, tree in _modules():
        for node in ast.walk(tree):
            for found in _REQUIREMENT.findall(_string(node) or ""):
                if found not in known:
                    wrong.append((module, node.lineno, found))
    assert wrong == []


def test_the_name_checks_can_fail(monkeypatch):
    """A renamed slot is caught: with ``amount_used`` taken out of the schema's names, the key and
    pointer checks both fail (rules.py reads it and writes it in a pointer tail)."""
    monkeypatch.setitem(globals(), "SLOTS", SLOTS - {"amount_used"})
    with pytest.raises(AssertionError):
        test_every_key_the_code_reads_is_a_schema_name_or_a_listed_foreign_key()
    with pytest.raises(AssertionError):
        test_every_pointer_tail_in_the_code_names_slots()


def test_the_requirement_a_rule_reports_is_one_the_catalogue_ties_to_the_field():
    """Each rule's failing card (tests/test_rules.py): the requirement of every issue it reports is
    tied by the catalogue to the field at the issue's path, or is a requirement with no fields of
    its own (such as MCS-LC-05, traceability of evidence)."""
    from test_rules import MUTATIONS, issues_of

    requirements = catalogue.by_id()
    wrong = []
    for rule_id, (base, mutate, _, _) in sorted(MUTATIONS.items()):
        data = base()
        mutate(data)
        for issue in issues_of(data, rule_id):
            tied = catalogue.requirements_for_pointer(issue.path)
            if issue.requirement is not None and issue.requirement not in tied and requirements[issue.requirement].fields:
                wrong.append((rule_id, issue.path, issue.requirement, tied))
    assert wrong == []
