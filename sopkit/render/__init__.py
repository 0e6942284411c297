"""Turning checked SOPs into a handbook: Markdown pages, flowcharts, index, glossary, roles."""
