"""Members: the merchant's customers, identified by the merchant's own user id."""
