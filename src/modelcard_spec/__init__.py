"""modelcard-spec: a machine-readable model card for pre-trained models in AI medical devices.

Library entry point::

    import modelcard_spec
    report = modelcard_spec.validate("examples/ct-foundation-encoder/card.yaml")
    report.valid, report.to_dict()
    result = modelcard_spec.diff("releases/1.1.0.card.yaml", "card.yaml")
    result.proposal, result.driver, result.valid, result.to_dict()
    result = modelcard_spec.fit("examples/ct-foundation-encoder/card.yaml",
                                "examples/intended-use/ct-abdominal-organ-segmentation.yaml")
    result.verdict, result.fits, result.dimensions, result.to_dict()

The package never imports LinkML at run time: it reads the artifacts generated from ``schema/``.
"""

from .spec.version import __version__

__all__ = ["__version__", "diff", "fit", "iter_validate", "migrate", "validate"]


def validate(paths, **kwargs):
    """Validate one or more cards (files, folders or glob patterns) and return the report."""
    from .check.pipeline import validate as _validate

    return _validate(paths, **kwargs)


def diff(old, new):
    """Compare two cards of one model (file paths): every change, the proposed update class and
    driver, and the checks of NEW as a release following OLD (:class:`.check.diff.DiffResult`)."""
    from .check.diff import diff as _diff

    return _diff(old, new)


def fit(card, use):
    """Check the intended-use profile at ``use`` against the card at ``card``: the verdict, its
    reasons, each dimension's status with the card's evidence, the uses and warnings that mention
    the profile (:class:`.check.fit.FitCheckResult`; ``to_dict()`` is the JSON output's shape). Raises a
    ``DiagnosticError`` if either file cannot be read or the profile is not valid."""
    from .check.fit import fit_result

    return fit_result(str(card), str(use))


def migrate(card, to=None):
    """A card (its data, or the path of a card file) rewritten from its ``schema_version`` to ``to``
    (default: the current version): ``(new card data, [Change])``, each change with its pointers, old
    and new value and reason in English and Chinese. Raises ``MigrationError`` (a card that cannot be
    migrated as asked) or ``CardLoadError`` (a file that cannot be read)."""
    from .spec.migrations import migrate as _migrate

    if not isinstance(card, dict):
        import os

        if isinstance(card, (str, os.PathLike)):
            from .check.loading import read_card

            card = read_card(card).data
    return _migrate(card, to=to)


def iter_validate(paths, **kwargs):
    """The results of :func:`validate` one by one, each as soon as it and every earlier card are done
    (memory does not grow with the number of cards)."""
    from .check.pipeline import iter_validate as _iter_validate

    return _iter_validate(paths, **kwargs)
