"""Spaceport monitor service."""
