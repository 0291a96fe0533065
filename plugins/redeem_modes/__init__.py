"""The built-in redemption modes, one plugin module each."""
