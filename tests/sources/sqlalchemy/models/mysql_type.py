"""Models using a type only MySQL spells: it has no PostgreSQL spelling."""

from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Flag(Base):
    __tablename__ = "flag"
    id: Mapped[int] = mapped_column(primary_key=True)
    colours: Mapped[str] = mapped_column(mysql.SET("red", "green"))
