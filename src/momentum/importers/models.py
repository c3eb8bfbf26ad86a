from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from momentum.db.base import Base


class ImportRun(Base):
    """One successful import: what was read, how it was mapped, what changed."""

    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    format: Mapped[str] = mapped_column(String(40))
    sources: Mapped[list[str]] = mapped_column(JSON)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    counts: Mapped[dict[str, int]] = mapped_column(JSON, doc="rows inserted/updated per table")
    notes: Mapped[list[str]] = mapped_column(JSON, doc="mapping rules used and warnings")
