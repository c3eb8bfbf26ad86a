"""Coaching per rep: where their deals stall against the team, the playbook's words for it,
and the manager's private notes."""
