"""Merchant console pages."""
