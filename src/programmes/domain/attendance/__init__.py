"""Attendance: marks per session and participant, and the trainer's day."""
