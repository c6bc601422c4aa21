"""Usage reports for the city: aggregates over a month or a fiscal year, never a person."""
