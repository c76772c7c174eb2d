"""Mail: the outbox of notifications, their delivery by jobs, and the mails themselves."""
