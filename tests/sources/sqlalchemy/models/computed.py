"""Models the schema model cannot hold: a VIRTUAL generated (Computed) column."""

from sqlalchemy import Computed, Integer
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Box(Base):
    __tablename__ = "box"
    id: Mapped[int] = mapped_column(primary_key=True)
    width: Mapped[int] = mapped_column(Integer)
    area: Mapped[int] = mapped_column(Integer, Computed("width * width", persisted=False))
