"""Loaders for real data sets that ship inside PyPI packages (no downloads at run time)."""
