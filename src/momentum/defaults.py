"""The defaults PRODUCT.md sets, in one place: the audit, the rules and the settings read them
from here, so a report and a rule can never start from different numbers."""

from __future__ import annotations

TARGET_BUSINESS_DAYS = 5  # meeting two within this many business days of meeting one
ON_THE_SPOT_GRACE_MINUTES = 60  # a booking this long after meeting one ends is still on the spot
OBSERVATION_BUSINESS_DAYS = 15  # how long a meeting-two outcome may take to become known
MIN_DIFFERENCE_POINTS = 10  # a finding must differ by at least this many percentage points
STALLED_DAYS = 14  # an open deal with no activity (or no stage move) for this many days is stalled
