"""The manager's week: the live dashboard on the audit, the deals at risk, and the weekly
review with each rep's commitments."""
