"""What an organisation's own systems read from us: scoped API tokens and the read API."""
