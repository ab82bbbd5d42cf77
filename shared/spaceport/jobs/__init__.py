"""A job's record: its events folded, in event-time order, into a timeline, metrics and criteria.

One fold for everyone who judges a job: the monitor keeps it per job in its database, the embedded pipeline's
summary and `spaceport submit --wait` fold the events they saw.
"""
