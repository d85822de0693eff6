"""Tables. Every change here needs an Alembic migration with a working downgrade."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base; ``Base.metadata`` is Alembic's target."""


class Merchant(Base):
    """A merchant account that creates payments."""

    __tablename__ = "merchants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    """werkzeug.security hash (scrypt); the password itself is never stored."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Payment(Base):
    """One card payment and the outcome of its fraud check."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), default="accepted", server_default="accepted")
    """``accepted``, ``rejected`` (fraud score too high) or ``pending_review`` (fraud API down)."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    def to_dict(self) -> dict[str, object]:
        """The JSON shape the API returns."""
        return {"id": self.id, "merchant_id": self.merchant_id, "amount_cents": self.amount_cents,
                "currency": self.currency, "status": self.status}
