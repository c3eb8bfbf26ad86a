"""Page routers, one module per area; :func:`momentum.web.app.create_app` includes each."""
