"""The JSON API under /api/v1 (flask-smorest), thin over the services."""
