"""The output layer: validation results (text, JSON, SARIF, Markdown), the conformity report, the
card view, the ``init`` template and CycloneDX. Every value from a card is written through
:mod:`..spec.textsafe`."""
