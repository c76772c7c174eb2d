"""Support for the sign-on tests: a real OpenID Connect provider on loopback."""
