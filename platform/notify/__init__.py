"""Notifications to members, sent by notifier plugins from the relay."""
