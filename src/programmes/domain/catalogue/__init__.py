"""The catalogue: KiTas, programmes and their cohorts or runs, what of them is public, and
the back office's edits of them."""
