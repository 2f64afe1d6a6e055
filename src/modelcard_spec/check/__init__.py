"""The check layer: reading a card under limits, the JSON Schema check, the semantic rules,
conformity per requirement, the comparison with model files, and the validation pipeline."""
