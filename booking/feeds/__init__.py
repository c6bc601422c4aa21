"""Private iCal feeds.

Importing the package registers the session listener that keeps calendar versions (the
ETags' source) in step with every change of reservations, rooms and facilities.
"""

from booking.feeds import changes  # noqa: F401
