"""BPMN 2.0 interchange: diagrams from modellers in (`importing`), SOPs out (`exporting`)."""
