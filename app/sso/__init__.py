"""Sign-on through an organisation's identity provider: OpenID Connect and SAML 2.0."""
