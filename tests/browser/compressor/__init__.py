"""The compressor's output rendered by the PlayCanvas engine."""
