"""Signed webhooks (Standard Webhooks) telling an organisation's systems what happened."""
