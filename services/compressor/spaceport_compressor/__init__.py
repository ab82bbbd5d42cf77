"""Spaceport compressor service."""
