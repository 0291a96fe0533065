"""The mall: catalog, stock and orders; redemption modes are plugins."""
