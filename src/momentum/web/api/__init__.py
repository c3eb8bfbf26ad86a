"""API routers under ``/api/v1``, one module per area; the app factory includes each."""
