"""Notifications: alerts rendered as email and webhook messages, kept in an outbox, sent once."""
