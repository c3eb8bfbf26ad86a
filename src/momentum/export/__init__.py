"""``momentum export``: the store written back as canonical CSVs (docs/export.md)."""
