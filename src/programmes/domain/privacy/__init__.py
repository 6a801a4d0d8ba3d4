"""Data subjects' rights and the data's lifecycle: export, erasure, retention."""
