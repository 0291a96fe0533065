"""Domain events and the relay: the transactional outbox and what reads it."""
