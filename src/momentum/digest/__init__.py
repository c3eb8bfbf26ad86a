"""The Monday digest: each manager's leading indicators for the week just ended, by email and
Slack through the outbox, once per manager and week."""
