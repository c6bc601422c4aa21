"""Messages to officers and desks: written to an outbox with the change that causes them,
sent by a separate sender that retries until the mail server takes them."""
