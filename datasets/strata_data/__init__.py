"""Reproducible builders for Strata's real labelled data sets.

Everything is derived from pinned PyPI archives (see `sources.PINS`), split
deterministically, and checked against the id lists committed under
`samples/splits/`. Entry point: `tools/fetch-data`.
"""
