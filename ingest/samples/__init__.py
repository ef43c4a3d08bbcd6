"""The demo shop's events for ``make demo``, and the script that writes them."""
