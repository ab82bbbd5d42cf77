"""Compressor unit tests: format, quantisers, palette, round trips, bad input, the stage, interop."""
