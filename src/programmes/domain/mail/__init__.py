"""Outgoing mail: the outbox written in the same transaction as the change, the texts, the
wire format, and delivery exactly once."""
