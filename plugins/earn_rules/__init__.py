"""The built-in earn-rule types, one plugin module each."""
