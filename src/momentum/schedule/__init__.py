"""What a rep and a manager look at and act on: the day (:mod:`.today`), the sales calendar
(:mod:`.calendar`), one deal's timeline (:mod:`.timeline`) and the slots and checks for
locking in meeting two (:mod:`.slots`). Read-side services over the domain; every change goes
through the domain services (``NextStepService``, ``MeetingService``), as the CLI's do."""
