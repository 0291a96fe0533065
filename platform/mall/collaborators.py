"""What the mall needs of the app's collaborators beyond the core's: its registries."""

from __future__ import annotations

from typing import Protocol

from jifen.collaborators import Collaborators
from jifen.mall.modes import RedeemModes
from jifen.mall.payments import PaymentProviders


class MallCollaborators(Collaborators, Protocol):
    """The core's collaborators, the redemption modes and the payment providers."""

    @property
    def redeem_modes(self) -> RedeemModes: ...

    @property
    def payment_providers(self) -> PaymentProviders: ...
