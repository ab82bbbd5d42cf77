"""Spaceport's shared kernel: events, bus, storage, settings, logging, criteria, runtime and CLI."""

__version__ = "0.1.0"
