"""The password hasher: Argon2id with the parameters OWASP's Password Storage Cheat Sheet gives
as its first choice (m = 19 MiB, t = 2, p = 1) instead of Django's defaults (m = 100 MiB,
t = 2, p = 8).

Why not Django's: every sign-in allocates `memory_cost` for the hash, and a sync web worker
keeps the high-water mark, so with Django's 100 MiB every worker that has signed someone in
sits ~100 MiB higher for the rest of its life (bench/README.md, W6). With one lane (p = 1) the
hash runs on one core, which is all a sync worker has; an attacker's cost per guess is set by
memory × passes, and 19 MiB × 2 passes is the floor OWASP recommends for Argon2id. Sign-in
stays limited on top of it (django-axes locks after `LOGIN_FAILURE_LIMIT` wrong passwords).

The algorithm name stays `argon2`, so every hash written with other parameters still checks;
`must_update` sees the parameters differ and Django rehashes the password with these at that
sign-in (as it upgrades a PBKDF2 hash)."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
