"""What the shared core and the domains see of the app's collaborators: a Protocol.

The object itself is `jifen.services.Services`, built where every domain is known (it
also holds the plugin registries the domains define). The core and the domains type
against this Protocol instead, so that none of them imports the composition above
it; a domain that needs its own registry extends it (`rules.registry.EarnCollaborators`,
`mall.collaborators.MallCollaborators`, `notify.notifiers.NotifyCollaborators`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import pluggy

    from jifen.clock import Clock
    from jifen.config import Settings
    from jifen.db import Database
    from jifen.jobs import JobRunner
    from jifen.keyring import Keyring
    from jifen.outbox.relay import Relay
    from jifen.storage import Storage


class Collaborators(Protocol):
    """The app's settings, database, clock, keyring, plugins, files, jobs and relay."""

    @property
    def settings(self) -> Settings: ...

    @property
    def db(self) -> Database: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def keyring(self) -> Keyring: ...

    @property
    def plugins(self) -> pluggy.PluginManager: ...

    @property
    def storage(self) -> Storage: ...

    @property
    def jobs(self) -> JobRunner: ...

    @property
    def relay(self) -> Relay: ...
