"""The version of mapper, and the name it is installed under (install hints quote it)."""

__version__ = "0.1.0"

#: The distribution name on the package index (``pip install '<name>[arrow]'``).
DISTRIBUTION = "mapper"
