"""Spaceport trainer service."""
