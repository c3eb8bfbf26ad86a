"""What administrators change from the web app: users and their roles, each rep's time zone
and holiday country, and a test message through the configured email and Slack channels."""
