"""The web app: server-rendered pages and the ``/api/v1`` API on the same services as the CLI.

See :func:`momentum.web.app.create_app`.
"""
