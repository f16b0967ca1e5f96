"""A SQLAlchemy 2.x declarative app: Identity, named enums, composite keys, a self-reference,
partial, expression, DESC and GIN indexes, server and Python-side defaults."""

import datetime
import enum
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Status(enum.Enum):
    draft = "draft"
    paid = "paid"
    shipped = "shipped"


class Category(Base):
    __tablename__ = "category"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("category.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(80), unique=True)


class Product(Base):
    __tablename__ = "product"
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    sku: Mapped[uuid.UUID] = mapped_column(Uuid, server_default=func.gen_random_uuid())
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    title: Mapped[str] = mapped_column(Text)
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2), server_default=text("0"))
    tags: Mapped[list[str] | None] = mapped_column(postgresql.ARRAY(Text))
    attrs: Mapped[dict[str, Any]] = mapped_column(postgresql.JSONB, server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Python-side: SQLAlchemy fills it in on insert; the database has no default
    note: Mapped[str | None] = mapped_column(Text, default="new")
    __table_args__ = (
        CheckConstraint("price >= 0", name="product_price_check"),
        Index("product_title_lower_idx", func.lower(text("title"))),
        Index("product_live_idx", "category_id", postgresql_where=text("price > 0")),
        Index("product_attrs_idx", "attrs", postgresql_using="gin"),
        Index("product_created_desc_idx", text("created_at DESC")),
    )


class Orders(Base):
    __tablename__ = "orders"
    shop: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[Status] = mapped_column(Enum(Status, name="order_status"), server_default="draft")
    placed_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)


class OrderLine(Base):
    __tablename__ = "order_line"
    shop: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    line: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    product_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("product.id"))
    quantity: Mapped[int] = mapped_column(server_default="1")
    __table_args__ = (
        ForeignKeyConstraint(["shop", "number"], ["orders.shop", "orders.number"], ondelete="CASCADE"),
        UniqueConstraint("shop", "number", "product_id", name="order_line_product_once"),
    )
