"""Staff accounts: creating them, signing in and out, API tokens."""
