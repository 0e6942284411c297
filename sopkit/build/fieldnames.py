"""The fields of the format: which exist, where, and which are required (docs/format.md)."""

TOP_FIELDS = (
    "sopkit", "id", "title", "department", "purpose", "owner", "version", "status",
    "effective", "review_by", "language", "scope", "tags", "sla", "roles", "terms",
    "kpis", "related", "changelog", "translation_of", "translated_from", "start", "steps",
)  # fmt: skip
REQUIRED_TOP = ("id", "title", "department", "purpose", "steps")
KINDS = ("step", "decision", "end")
NODE_FIELDS: dict[str, tuple[str, ...]] = {
    "step": ("id", "step", "role", "details", "duration", "next", "sop"),
    "decision": ("id", "decision", "role", "details", "duration", "branches"),
    "end": ("id", "end", "role", "details"),
}
ALL_NODE_FIELDS = tuple(dict.fromkeys(f for fs in NODE_FIELDS.values() for f in fs))
KPI_FIELDS = ("name", "target", "description")
CHANGE_FIELDS = ("version", "date", "author", "summary")
