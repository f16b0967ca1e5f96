"""Who a request comes from: a JWT bearer token, checked with PyJWT.

HS256 with a shared secret (Supabase's project JWT secret), or RS256/ES256 with keys from a
JWKS (a file, or a URL fetched and cached by PyJWT's `PyJWKClient`). Supabase's claims are
what the server reads: `sub` (the user id, or another claim named by `user_claim`), `role`,
`exp` (required: a token that never expires is refused too). Any failure is one `AuthError`
line, answered 401; the token itself never appears in it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mizzle.core.errors import MizzleError


class AuthError(MizzleError):
    """A request without a valid token (answered 401)."""


@dataclass(frozen=True)
class Claims:
    user_id: str
    role: str | None
    #: every claim of the token, for PostgreSQL's `request.jwt.claims` (RLS policies read it)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class Auth:
    """How tokens are checked: `secret` for HS256, or `jwks` (a file path or an http(s) URL)
    for RS256/ES256. `audience`: when set, the token's `aud` must match (Supabase:
    "authenticated")."""

    secret: str | None = field(default=None, repr=False)
    jwks: str | None = None
    user_claim: str = "sub"
    audience: str | None = None
    leeway_s: float = 0.0
    _keys: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if (self.secret is None) == (self.jwks is None):
            raise MizzleError("sync server auth: give exactly one of a JWT secret (HS256) or a JWKS (RS256)")
        if self.secret is not None and len(self.secret.encode()) < 32:
            # RFC 7518 3.2: an HS256 key of fewer than 256 bits can be guessed (Supabase's are longer)
            raise MizzleError("sync server auth: the JWT secret is shorter than 32 bytes")
        import jwt

        if self.jwks is not None:
            if self.jwks.startswith(("http://", "https://")):
                self._keys = jwt.PyJWKClient(self.jwks, cache_keys=True)
            else:
                try:
                    self._keys = jwt.PyJWKSet.from_dict(json.loads(Path(self.jwks).read_text()))
                except (OSError, ValueError, jwt.PyJWTError) as err:
                    raise MizzleError(f"sync server auth: cannot read the JWKS {self.jwks}: {err}") from None

    def claims(self, authorization: str | None) -> Claims:
        """The claims of an `Authorization: Bearer <token>` header; AuthError otherwise."""
        import jwt

        if not authorization:
            raise AuthError("no Authorization header (expected: Bearer <JWT>)")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("the Authorization header is not Bearer <JWT>")
        token = token.strip()
        try:
            if self.secret is not None:
                key: Any = self.secret
                algorithms = ["HS256"]
            else:
                key = self._signing_key(token)
                algorithms = ["RS256", "ES256"]
            payload = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self.audience,
                leeway=self.leeway_s,
                options={"require": ["exp"], "verify_aud": self.audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("the token has expired") from None
        except jwt.PyJWTError as err:
            raise AuthError(f"the token is not valid: {err}") from None
        user = payload.get(self.user_claim)
        if not isinstance(user, str | int) or isinstance(user, bool) or str(user) == "":
            raise AuthError(f'the token has no "{self.user_claim}" claim naming the user')
        role = payload.get("role")
        return Claims(str(user), role if isinstance(role, str) else None, dict(payload))

    def _signing_key(self, token: str) -> Any:
        import jwt

        if isinstance(self._keys, jwt.PyJWKClient):
            return self._keys.get_signing_key_from_jwt(token).key
        kid = jwt.get_unverified_header(token).get("kid")
        keys = self._keys.keys
        found = [k for k in keys if kid is None or k.key_id == kid]
        if not found:
            raise jwt.InvalidTokenError(f"no key {kid!r} in the JWKS")
        return found[0].key
