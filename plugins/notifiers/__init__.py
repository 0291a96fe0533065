"""The built-in notifiers, one plugin module each."""
