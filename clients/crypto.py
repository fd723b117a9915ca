"""Encryption at rest for platform tokens (Fernet, with key rotation through MultiFernet).

Only connectors call `decrypt_token`: a token is plain text for the length of one platform call.
"""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured(
            "PARLEY_TOKEN_ENCRYPTION_KEYS is empty: set it to one or more Fernet keys "
            "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())')."
        )
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(f"A token encryption key is not a Fernet key: {error}") from None


def encrypt_token(plain: str) -> str:
    return _fernet(tuple(settings.TOKEN_ENCRYPTION_KEYS)).encrypt(plain.encode()).decode()


def decrypt_token(encrypted: str) -> str:
    try:
        return _fernet(tuple(settings.TOKEN_ENCRYPTION_KEYS)).decrypt(encrypted.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored platform token cannot be decrypted with PARLEY_TOKEN_ENCRYPTION_KEYS."
        ) from None
