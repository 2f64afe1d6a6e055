"""The card JSON Schema in Chinese (for editors): the English schema's constraints, the schema's zh labels.

The last test runs the real YAML language server (redhat yaml-language-server, the one VS Code's
YAML extension uses) over a card, when it is installed: ``yaml-language-server`` on PATH, or
``MCS_YAML_LANGUAGE_SERVER`` naming its executable (e.g. ``node_modules/.bin/yaml-language-server``).
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time

import jsonschema
import pytest
import yaml

from conftest import INVALID_CARDS, ROOT, VALID_CARDS
from modelcard_spec.spec.resources import artifact_json, artifact_text, described_schema_index, schema_index

CJK = re.compile(r"[\u4e00-\u9fff]")
TEXT_KEYWORDS = ("title", "description", "enumDescriptions", "markdownEnumDescriptions")
# Keywords whose value is a subschema, a list of subschemas, or a map of name -> subschema.
SUBSCHEMA = ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames")
SUBSCHEMA_LISTS = ("anyOf", "allOf", "oneOf", "prefixItems")
SUBSCHEMA_MAPS = ("properties", "$defs", "patternProperties", "dependentSchemas")


def _split(schema, where=""):
    """(the schema without its text keywords, {location of a text keyword: its value})."""
    texts = {}
    if not isinstance(schema, dict):
        return schema, texts
    rest = {}
    for key, value in schema.items():
        if key in TEXT_KEYWORDS:
            texts[f"{where}/{key}"] = value
        elif key in SUBSCHEMA and isinstance(value, dict):
            rest[key], sub = _split(value, f"{where}/{key}")
            texts.update(sub)
        elif key in SUBSCHEMA_LISTS:
            rest[key] = []
            for i, item in enumerate(value):
                item_rest, sub = _split(item, f"{where}/{key}/{i}")
                rest[key].append(item_rest)
                texts.update(sub)
        elif key in SUBSCHEMA_MAPS:
            rest[key] = {}
            for name, item in value.items():
                rest[key][name], sub = _split(item, f"{where}/{key}/{name}")
                texts.update(sub)
        else:
            rest[key] = value
    return rest, texts


EN, ZH = artifact_json("json-schema"), artifact_json("json-schema-zh")


def test_the_constraints_the_validator_compiles_are_the_schemas_without_its_text():
    """modelcard.constraints.json, which the compiled validator reads, is the card's JSON Schema with
    its text keywords removed (at schema positions only: a field may be called ``description``), and
    the validators compiled from it and from the whole schema judge every shipped card alike."""
    import jsonschema_rs

    from modelcard_spec.check.structural import _filled

    constraints = artifact_json("card-constraints")
    assert constraints == _split(EN)[0]
    assert "description" in constraints["$defs"]["ChangeEntry"]["properties"]  # a field, kept
    lean, whole = jsonschema_rs.validator_for(constraints), jsonschema_rs.validator_for(EN)
    judged = set()
    for card in VALID_CARDS + INVALID_CARDS:
        data = yaml.safe_load(card.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            data = _filled(data, schema_index()["root_class"])
        assert lean.is_valid(data) == whole.is_valid(data), card
        assert sorted(e.message for e in lean.iter_errors(data)) == sorted(e.message for e in whole.iter_errors(data))
        judged.add(whole.is_valid(data))
    assert judged == {True, False}


def test_the_constraints_judge_mutated_cards_as_the_whole_schema_does(tmp_path, monkeypatch):
    """300 cards of the card fuzzer (tools/fuzz_cards.py: shipped cards with fields removed, retyped,
    filled with hostile text or pool values) get the same verdict and the same errors from the
    validator compiled from modelcard.constraints.json as from the one compiled from the whole schema."""
    import jsonschema_rs

    from modelcard_spec.check.structural import _filled

    monkeypatch.syspath_prepend(str(ROOT / "tools"))  # for this test only
    import fuzz_cards

    lean = jsonschema_rs.validator_for(artifact_json("card-constraints"))
    whole = jsonschema_rs.validator_for(EN)
    fuzzer = fuzz_cards.Fuzzer(seed=7, workdir=tmp_path, slow=5.0, check_every=3, batch=25, data_level=0.0)
    verdicts = []
    for index in range(300):
        data = fuzzer.make_case(index)["data"]
        data = _filled(data, schema_index()["root_class"]) if isinstance(data, dict) else data
        verdicts.append(whole.is_valid(data))
        assert lean.is_valid(data) == verdicts[-1], index
        assert sorted(e.message for e in lean.iter_errors(data)) == sorted(e.message for e in whole.iter_errors(data)), index
    assert 30 < sum(verdicts) < 270  # both kinds, many of each


def test_zh_schema_differs_from_the_english_one_in_text_only():
    en_rest, en_texts = _split(EN)
    zh_rest, zh_texts = _split(ZH)
    version = schema_index()["schema_version"]
    assert en_rest.pop("$id") == f"https://w3id.org/modelcard-spec/schema/{version}/modelcard.schema.json"
    assert zh_rest.pop("$id") == f"https://w3id.org/modelcard-spec/schema/{version}/modelcard.schema.zh.json"
    assert zh_rest == en_rest
    assert sorted(zh_texts) == sorted(en_texts)
    for where, text in en_texts.items():  # the enum value labels line up with the values
        if where.endswith("numDescriptions"):
            enum = where.rsplit("/", 1)[0]
            assert len(text) == len(zh_texts[where]) == len(dict(_walk(EN, enum))["enum"])


def _walk(schema, pointer):
    node = schema
    for part in pointer.strip("/").split("/"):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _labelled_elements():
    """(location in the JSON Schema, the schema element's labels) for every class, property, enum."""
    index = described_schema_index()
    root = index["classes"][index["root_class"]]
    yield "", root
    for name, slot in root["slots"].items():
        yield f"/properties/{name}", slot
    for name, cls in index["classes"].items():
        yield f"/$defs/{name}", cls
        for slot_name, slot in cls["slots"].items():
            yield f"/$defs/{name}/properties/{slot_name}", slot
    for name, enum in index["enums"].items():
        yield f"/$defs/{name}", enum


def test_every_text_of_the_zh_schema_is_the_schemas_chinese_label():
    _, zh_texts = _split(ZH)
    _, en_texts = _split(EN)
    seen = set()
    for where, element in _labelled_elements():
        assert element["title_zh"] and element["description_zh"], f"{where or '/'}: no zh label in the schema"
        assert zh_texts[f"{where}/title"] == element["title_zh"]
        assert zh_texts[f"{where}/description"] == element["description_zh"]
        assert en_texts[f"{where}/title"] == element["title"]
        assert en_texts[f"{where}/description"] == element["description"]
        assert CJK.search(zh_texts[f"{where}/description"]), where
        # A zh title without Chinese characters is a technical name the schema gives in both languages.
        if not CJK.search(zh_texts[f"{where}/title"]):
            assert element["title_zh"] == element["title"] or element["title_zh"].isascii(), where
        seen |= {f"{where}/title", f"{where}/description"}
    for name, enum in described_schema_index()["enums"].items():
        values = [enum["values"][v] for v in ZH["$defs"][name]["enum"]]
        for key in ("enumDescriptions", "markdownEnumDescriptions"):
            where = f"/$defs/{name}/{key}"
            for value, zh_text, en_text in zip(values, zh_texts[where], en_texts[where]):
                assert value["title_zh"] in zh_text and value["description_zh"].rstrip("。") in zh_text.replace("\\", "")
                assert CJK.search(zh_text) and not CJK.search(en_text.replace(value["title"], ""))
                assert value["title"] in en_text.replace("\\", "")
            seen.add(where)
    assert seen == set(zh_texts), f"texts of no schema element: {sorted(set(zh_texts) - seen)}"
    english_left = [w for w, t in zh_texts.items() if isinstance(t, str) and t == en_texts[w] and CJK.search(t) is None
                     and not w.endswith("/title")]
    assert not english_left, english_left


def _errors(schema, card):
    """Every error of ``card`` against ``schema``, with the errors under anyOf/oneOf, as comparable tuples."""
    cls = jsonschema.Draft201909Validator
    out = []

    def flatten(error, depth=0):
        out.append((depth, tuple(error.absolute_path), tuple(error.schema_path), error.validator, repr(error.instance)))
        for sub in error.context or ():
            flatten(sub, depth + 1)

    for error in cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(card):
        flatten(error)
    return sorted(out, key=repr)


def _base():
    return yaml.safe_load((ROOT / "examples" / "wdbc-cytology-mlp" / "card.yaml").read_text(encoding="utf-8"))


def _mutated():
    """Cards that break the schema in the ways a supplier does: type, enum, pattern, format, extra and missing keys."""
    cases = {
        "provider-not-an-object": lambda c: c.__setitem__("provider", 42),
        "unknown-top-level-key": lambda c: c.__setitem__("summery", "typo"),
        "unknown-nested-key": lambda c: c["provider"].__setitem__("mail", "x@example.org"),
        "name-missing": lambda c: c.pop("name"),
        "provider-kind-unknown": lambda c: c.__setitem__("provider_kind", "maker"),
        "delivery-form-unknown": lambda c: c.__setitem__("delivery_form", "floppy"),
        "version-pattern": lambda c: c.__setitem__("version", "1 .0"),
        "schema-version-number": lambda c: c.__setitem__("schema_version", 1.0),
        "release-date-text": lambda c: c.__setitem__("release_date", "yesterday"),
        "change-history-not-a-list": lambda c: c.__setitem__("change_history", {"version": "1.0.0"}),
    }
    for name, mutate in cases.items():
        card = _base()
        mutate(card)
        yield name, card


@pytest.mark.parametrize("card", VALID_CARDS + INVALID_CARDS, ids=lambda p: p.parent.name + "/" + p.name)
def test_zh_schema_validates_every_example_exactly_as_the_english_one(card):
    data = yaml.safe_load(card.read_text(encoding="utf-8"))
    en = _errors(EN, data)
    assert en == _errors(ZH, data)
    # The invalid examples that the JSON Schema itself rejects (others fail only semantic rules).
    if card in VALID_CARDS:
        assert not en


@pytest.mark.parametrize("name,card", list(_mutated()), ids=[n for n, _ in _mutated()])
def test_zh_schema_rejects_invalid_cards_exactly_as_the_english_one(name, card):
    en = _errors(EN, card)
    assert en, f"{name}: the mutation should break the schema"
    assert en == _errors(ZH, card)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "modelcard_spec.cli", *args], capture_output=True, text=True)


def test_schema_command_prints_the_chinese_json_schema():
    zh = _cli("schema", "--format", "json-schema", "--lang", "zh")
    assert zh.returncode == 0 and zh.stdout == artifact_text("json-schema-zh")
    assert json.loads(zh.stdout)["title"] == schema_index()["classes"]["ModelCard"]["title_zh"] == "模型卡"
    en = _cli("schema", "--lang", "en")
    assert en.returncode == 0 and en.stdout == artifact_text("json-schema")
    refused = _cli("schema", "--format", "shacl", "--lang", "zh")
    assert refused.returncode == 2 and refused.stdout == ""
    assert "--lang zh applies to --format json-schema only" in refused.stderr and "仅适用于" in refused.stderr


def test_zh_schema_is_in_the_manifest_and_documented():
    manifest = json.loads((ROOT / "src" / "modelcard_spec" / "generated" / "MANIFEST.json").read_text(encoding="utf-8"))
    assert "modelcard.schema.zh.json" in manifest["artifacts"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    guide = (ROOT / "docs" / "guides" / "suppliers.md").read_text(encoding="utf-8")
    for text in (readme, guide):
        assert "schema --format json-schema --lang zh > modelcard.schema.zh.json" in text
        assert "# yaml-language-server: $schema=./modelcard.schema.zh.json" in text
        assert '"yaml.schemas"' in text


# --------------------------------------------------------------------------- the real language server


def _language_server():
    path = os.environ.get("MCS_YAML_LANGUAGE_SERVER") or shutil.which("yaml-language-server")
    if not path or not shutil.which("node"):
        pytest.skip("yaml-language-server is not installed (set MCS_YAML_LANGUAGE_SERVER to its executable)")
    return [path, "--stdio"]


class _LanguageClient:
    """A minimal LSP client over stdio: requests, notifications, and answers to the server's requests."""

    def __init__(self, argv, settings):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.settings, self.inbox, self.next_id = settings, queue.Queue(), 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    self.inbox.put(None)
                    return
                if not line.strip():
                    break
                key, _, value = line.decode("ascii").partition(":")
                if key.lower() == "content-length":
                    length = int(value)
            self.inbox.put(json.loads(out.read(length)))

    def send(self, message):
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def wait(self, wanted, timeout=60.0):
        end = time.monotonic() + timeout
        while True:
            message = self.inbox.get(timeout=max(0.01, end - time.monotonic()))
            assert message is not None, "the language server exited"
            if "id" in message and "method" in message:  # the server asks the client
                result = None
                if message["method"] == "workspace/configuration":
                    result = [self.settings.get(item.get("section")) for item in message["params"]["items"]]
                self.send({"id": message["id"], "result": result})
            elif wanted(message):
                return message

    def request(self, method, params):
        self.next_id += 1
        ident = self.next_id
        self.send({"id": ident, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == ident and "method" not in m)["result"]

    def notify(self, method, params):
        self.send({"method": method, "params": params})

    def close(self):
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.proc.wait(timeout=10)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


def test_the_yaml_language_server_hovers_and_diagnoses_in_chinese(tmp_path):
    """Both documented associations, with the schemas `schema` prints: the modeline (zh), yaml.schemas (en)."""
    server = _language_server()
    for lang, name in (("zh", "modelcard.schema.zh.json"), ("en", "modelcard.schema.json")):
        (tmp_path / name).write_text(_cli("schema", "--format", "json-schema", "--lang", lang).stdout, encoding="utf-8")
    source = (ROOT / "examples" / "wdbc-cytology-mlp" / "card.yaml").read_text(encoding="utf-8")
    broken = source.replace("provider_kind: manufacturer", "provider_kind: maker", 1)
    assert broken != source
    zh_card = tmp_path / "zh" / "card.yaml"
    en_card = tmp_path / "en" / "card.yaml"
    zh_card.parent.mkdir()
    en_card.parent.mkdir()
    zh_text = "# yaml-language-server: $schema=../modelcard.schema.zh.json\n" + broken
    zh_card.write_text(zh_text, encoding="utf-8")
    en_card.write_text(broken, encoding="utf-8")
    settings = {"yaml": {"validate": True, "hover": True, "completion": True,
                         "schemas": {(tmp_path / "modelcard.schema.json").as_uri(): ["en/card.yaml"]}}}
    client = _LanguageClient(server, settings)
    try:
        client.request("initialize", {
            "processId": os.getpid(), "rootUri": tmp_path.as_uri(), "locale": "zh-cn",
            "capabilities": {"workspace": {"configuration": True},
                             "textDocument": {"hover": {"contentFormat": ["markdown"]}, "publishDiagnostics": {}}}})
        client.notify("initialized", {})
        client.notify("workspace/didChangeConfiguration", {"settings": settings})
        results = {}
        for lang, card, text in (("zh", zh_card, zh_text), ("en", en_card, broken)):
            uri = card.as_uri()
            client.notify("textDocument/didOpen",
                          {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}})
            diagnostics = client.wait(lambda m, uri=uri: m.get("method") == "textDocument/publishDiagnostics"
                                      and m["params"]["uri"] == uri and m["params"]["diagnostics"])
            line = text.splitlines().index("provider_kind: maker")
            hover = client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                          "position": {"line": line, "character": 3}})
            results[lang] = (diagnostics["params"]["diagnostics"], hover["contents"]["value"], line)
    finally:
        client.close()
    diagnostics, hover, line = results["zh"]
    assert [d["range"]["start"]["line"] for d in diagnostics] == [line]
    assert diagnostics[0]["source"] == "yaml-schema: 提供方类型"
    assert "#### 提供方类型" in hover and "模型属于标准所列四类来源中的哪一类。" in hover
    assert "`manufacturer`: **医疗器械厂家**：医疗器械生产企业自身。" in hover
    assert "Provider kind" not in hover
    diagnostics, hover, line = results["en"]
    assert diagnostics[0]["source"] == "yaml-schema: Provider kind"
    assert "#### Provider kind" in hover and "`manufacturer`: **Medical device manufacturer**: " in hover
    assert not CJK.search(hover.split("\n\n")[0])
