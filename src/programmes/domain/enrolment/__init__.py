"""Enrolment: seats, public registrations, families enrolled by KiTa partners, their mails,
and the public views of events."""
