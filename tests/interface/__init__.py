"""The interface bridge over real sockets: a daphne subprocess, Redis, and real clients."""
