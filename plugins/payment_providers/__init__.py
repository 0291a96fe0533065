"""The built-in payment providers, one plugin module each."""
