"""The next-step playbook: talk tracks per step, meeting-two agenda templates, buyer homework
templates; every edit kept as a new version, and the playbook's revision recorded on the
bookings and reminders that used it."""
