"""modelcard-spec: a machine-readable model card for pre-trained models in AI medical devices.

Library entry point::

    import modelcard_spec
    report = modelcard_spec.validate("examples/ct-foundation-encoder/card.yaml")
    report.valid, report.to_dict()

The package never imports LinkML at run time: it reads the artifacts generated from ``schema/``.
"""

from .spec.version import __version__

__all__ = ["__version__", "iter_validate", "validate"]


def validate(paths, **kwargs):
    """Validate one or more cards (files, folders or glob patterns) and return the report."""
    from .check.pipeline import validate as _validate

    return _validate(paths, **kwargs)


def iter_validate(paths, **kwargs):
    """The results of :func:`validate` one by one, each as soon as it and every earlier card are done
    (memory does not grow with the number of cards)."""
    from .check.pipeline import iter_validate as _iter_validate

    return _iter_validate(paths, **kwargs)
