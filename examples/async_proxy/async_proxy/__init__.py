"""The async proxy example: views hand slow upstream requests to async consumers."""
