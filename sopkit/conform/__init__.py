"""`sopkit conform`: does practice follow the SOP? Event logs checked against a SOP.

`logs` reads CSV and XES, `mapping` says which node each activity is, `align`
decides whether a case fits and where it leaves the SOP, `measure` makes the
report's numbers, `report` and `html` word them, `record` appends `sopkit walk`
runs to a log. The definitions, with examples: docs/conform.md.
"""
