"""Sign-in for organisations and enterprises (OpenID Connect), their sessions and CSRF tokens."""
