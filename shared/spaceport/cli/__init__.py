"""The `spaceport` command line."""
