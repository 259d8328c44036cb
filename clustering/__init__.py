"""Opinion groups for Voxit conversations.

The mathematics lives in :mod:`clustering.math` (pure NumPy/SciPy, no Django);
:mod:`clustering.polis_io` reads Polis exports for evaluation and import.
"""
