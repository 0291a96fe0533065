"""The earn engine: events in, rules (plugins) evaluate, explained awards out."""
