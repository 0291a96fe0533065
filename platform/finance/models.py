"""What a tenant says its points are worth (jifen.finance.values)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Mapped, mapped_column

from jifen.db import Base, TenantScoped
from jifen.types import Rate, UTCDateTime


class PointValue(TenantScoped, Base):
    """A tenant's point value: what a point costs it when redeemed (`cost`, minor units
    of its currency per point: the liability is valued at it), kept apart from the
    stand-alone selling price revenue is allocated by (`selling_price`, IFRS 15), and
    the expected-redemption rate when the merchant sets one over the estimate from its
    own history (`redemption_rate`, None: the estimate)."""

    __tablename__ = "point_values"

    cost: Mapped[Decimal] = mapped_column(Rate)
    selling_price: Mapped[Decimal] = mapped_column(Rate)
    redemption_rate: Mapped[Decimal | None] = mapped_column(Rate)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
