"""Access to the generated artifacts shipped inside the package (never fetched from a network)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

ARTIFACTS = {
    "json-schema": "modelcard.schema.json",
    "json-schema-zh": "modelcard.schema.zh.json",
    "catalogue-schema": "catalogue.schema.json",
    "assessment-schema": "assessment.schema.json",
    "verification-schema": "verification.schema.json",
    "intended-use-schema": "intended_use.schema.json",
    "shacl": "modelcard.shacl.ttl",
    "owl": "modelcard.owl.ttl",
    "jsonld-context": "modelcard.context.jsonld",
    "catalogue": "catalogue.json",
    "index": "schema_index.json",
    "skos": "vocabularies.skos.ttl",
}


def artifact_text(name: str) -> str:
    """Text of a generated artifact, by file name or by one of the keys of ``ARTIFACTS``."""
    file_name = ARTIFACTS.get(name, name)
    return resources.files("modelcard_spec.generated").joinpath(file_name).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def artifact_json(name: str):
    return json.loads(artifact_text(name))


def card_schema() -> dict:
    return artifact_json("json-schema")


def schema_index() -> dict:
    return artifact_json("index")


def catalogue_data() -> dict:
    return artifact_json("catalogue")


def schema_version() -> str:
    return schema_index()["schema_version"]


def known_schema_versions() -> tuple[str, ...]:
    """The specification versions a card may declare: those whose generated artifacts ship here."""
    return (schema_version(),)
