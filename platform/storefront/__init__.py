"""Member-facing storefront pages, themed per tenant."""
