"""Readers that turn registry-package data into catalog rows.

One module per source, each with a `*_report()` that locates its file (raising
`SourceUnavailable` when the package is missing) and a `read_*()` generator
that yields catalog items while counting what it read, kept and skipped:
`recipes` (Wikibooks Cookbook -> ideas), `movies` (Wikidata films -> video),
`retail` (tau2-bench store -> shopping), `superstore` (Tableau sample orders ->
shopping). `locate` holds the shared report model and file lookup;
`tools.starter.build_starter` runs them all. See docs/DATA_CARD.md.
"""
