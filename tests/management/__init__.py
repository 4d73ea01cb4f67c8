"""Management commands that are not servers or workers."""
