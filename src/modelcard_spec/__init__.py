"""modelcard-spec: a machine-readable model card for pre-trained models in AI medical devices.

Library entry point::

    import modelcard_spec
    report = modelcard_spec.validate("examples/ct-foundation-encoder/card.yaml")
    report.valid, report.to_dict()
    result = modelcard_spec.fit("examples/ct-foundation-encoder/card.yaml",
                                "examples/intended-use/ct-abdominal-organ-segmentation.yaml")
    result["verdict"], result["dimensions"]

The package never imports LinkML at run time: it reads the artifacts generated from ``schema/``.
"""

from .spec.version import __version__

__all__ = ["__version__", "fit", "validate"]


def validate(paths, **kwargs):
    """Validate one or more cards (files, folders or glob patterns) and return the report."""
    from .check.pipeline import validate as _validate

    return _validate(paths, **kwargs)


def fit(card, use):
    """Check the intended-use profile at ``use`` against the card at ``card``: the result as a dict
    (verdict, its reasons, each dimension's status with the card's evidence, the uses and warnings
    that mention the profile). Raises a ``DiagnosticError`` if either file cannot be read or the
    profile is not valid."""
    from .check.fit import fit_files

    return fit_files(str(card), str(use))
