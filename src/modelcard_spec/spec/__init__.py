"""The specification layer: the artifacts generated from ``schema/`` and typed access to them, and
the small helpers every other layer shares. It imports nothing else from the package."""
