"""Packaging: the sdist, the distribution metadata and the install commands the docs give."""
