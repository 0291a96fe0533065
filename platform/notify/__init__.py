"""Notifications to members, sent by notifier plugins from the relay.

The notices' public module: notifier plugins import from here, never from the modules
below it (an import-linter contract in pyproject.toml says so).
"""

from jifen.notify.notifiers import CHANNELS, Message, Notifier, mask

__all__ = ["CHANNELS", "Message", "Notifier", "mask"]
