"""The work itself: plain Python, nothing to do with channels."""


def count_primes_below(limit):
    """How many primes are smaller than ``limit`` (a sieve of Eratosthenes)."""
    if limit < 3:
        return 0
    sieve = bytearray([1]) * limit
    sieve[0] = sieve[1] = 0
    for number in range(2, int(limit**0.5) + 1):
        if sieve[number]:
            sieve[number * number :: number] = bytes(len(range(number * number, limit, number)))
    return sum(sieve)
