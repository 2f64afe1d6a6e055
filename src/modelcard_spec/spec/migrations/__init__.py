"""Migration of a card from an earlier published version of the specification to a later one: one
module per step, named after its source version (``v0_3_0``: 0.3.0 -> 0.4.0). The framework
(ordered steps, ``migrate()``, ``KNOWN_VERSIONS``) is the "migrate" helper's and replaces this file
at merge."""
