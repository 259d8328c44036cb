"""Clustering tests need no Django; data helpers live in helpers.py."""
