"""Access to the generated artifacts shipped inside the package (never fetched from a network)."""

from __future__ import annotations

import json
import os
from functools import lru_cache

ARTIFACTS = {
    "json-schema": "modelcard.schema.json",
    "json-schema-zh": "modelcard.schema.zh.json",
    "card-constraints": "modelcard.constraints.json",
    "catalogue-schema": "catalogue.schema.json",
    "assessment-schema": "assessment.schema.json",
    "verification-schema": "verification.schema.json",
    "intended-use-schema": "intended_use.schema.json",
    "shacl": "modelcard.shacl.ttl",
    "owl": "modelcard.owl.ttl",
    "jsonld-context": "modelcard.context.jsonld",
    "catalogue": "catalogue.json",
    "index": "schema_index.json",
    "descriptions": "schema_descriptions.json",
    "skos": "vocabularies.skos.ttl",
}


def artifact_text(name: str) -> str:
    """Text of a generated artifact, by file name or by one of the keys of ``ARTIFACTS``."""
    file_name = ARTIFACTS.get(name, name)
    # The package's own folder when it is one (importlib.resources and the zipfile, tempfile and
    # compression modules it imports cost a cold start about as much as validating a card); through
    # importlib.resources when the package is inside an archive.
    here = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "generated")
    if os.path.isdir(here) and os.path.basename(file_name) == file_name:
        # read as bytes, then decoded: a text-mode read (newline translation) costs 1.5 MB of
        # artifacts four times as much, 10 ms of a one-card validate (the artifacts end lines with \n)
        with open(os.path.join(here, file_name), "rb") as handle:
            return handle.read().decode("utf-8")
    from importlib import resources

    return resources.files("modelcard_spec.generated").joinpath(file_name).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def artifact_json(name: str):
    return json.loads(artifact_text(name))


def card_schema() -> dict:
    return artifact_json("json-schema")


def schema_index() -> dict:
    """The schema index: classes with their slots, enums with their values, titles, prefixes. Without
    the descriptions, which :func:`described_schema_index` adds."""
    return artifact_json("index")


@lru_cache(maxsize=None)
def described_schema_index() -> dict:
    """The schema index with the English and Chinese descriptions of its classes, slots, enums and
    values (``description``, ``description_zh``), for what writes text for people (the site, ``init``,
    a message that quotes a field's description). They ship apart (``schema_descriptions.json``):
    they are most of the time it takes to read the index, which every validation reads."""
    index, texts = schema_index(), artifact_json("descriptions")

    def described(entry: dict, own: dict) -> dict:
        return dict(sorted({**entry, "description": own["description"], "description_zh": own["description_zh"]}.items()))

    out = dict(index)
    for kind, children in (("classes", "slots"), ("enums", "values")):
        out[kind] = {}
        for name, entry in index[kind].items():
            own = texts[kind][name]
            out[kind][name] = {**described(entry, own),
                               children: {child: described(value, own[children][child])
                                          for child, value in entry[children].items()}}
    return out


def catalogue_data() -> dict:
    return artifact_json("catalogue")


def schema_version() -> str:
    return schema_index()["schema_version"]


# The JSON Schemas of the earlier published versions, frozen in the package (tools/generate.py copies
# each from the commit of its release and checks its SHA-256 against schema/previous_versions.yaml).
PREVIOUS_SCHEMAS = "previous_schemas.json"


def previous_schemas() -> dict:
    """Version -> {"file", "sha256", "commit", "tag"?} of each earlier version's shipped JSON Schema."""
    return artifact_json(PREVIOUS_SCHEMAS)["versions"]


def known_schema_versions() -> tuple[str, ...]:
    """The specification versions this tool knows, oldest first: the earlier published versions,
    whose JSON Schemas ship frozen here, then the current one."""
    return (*previous_schemas(), schema_version())


def card_schema_of(version: str) -> dict:
    """The card's JSON Schema of ``version`` (a known version: the current or an earlier one)."""
    if version == schema_version():
        return card_schema()
    return artifact_json(previous_schemas()[version]["file"])
