"""Spaceport sfm service."""
