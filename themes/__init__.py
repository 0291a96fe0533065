"""Storefront themes shipped with Jifen: <name>/templates, <name>/static, <name>/theme.toml."""
