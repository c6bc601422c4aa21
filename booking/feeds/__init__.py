"""Private iCal feeds.

Importing the package registers the session listener that bumps calendar versions (the
ETags' source) when rooms and facilities change; the database bumps them for reservations.
"""

from booking.feeds import changes  # noqa: F401
