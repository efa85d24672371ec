"""The password hasher of every new or changed password (docs/adr/0005-password-hashing.md)."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """Argon2id at OWASP's first recommended setting (Password Storage Cheat Sheet): 19 MiB of memory, 2 passes, one
    lane. Django's defaults (100 MiB, 8 lanes) took 0.6–0.9 s of a 2-core server; this one 0.1–0.16 s, where
    PBKDF2-SHA256 at 1,000,000 iterations took 0.3–1 s. Same algorithm name ("argon2"): Django re-hashes at log-in a
    stored hash whose parameters differ."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
