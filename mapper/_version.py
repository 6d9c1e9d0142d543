"""The version of mapper, and the name it is installed under (install hints quote it)."""

__version__ = "0.1.0"

#: The distribution name on the package index (``pip install '<name>[arrow]'``): the import
#: name and the command are ``mapper``, but ``mapper`` on PyPI is another project, so the
#: distribution has a name of its own (free on https://pypi.org when chosen).
DISTRIBUTION = "featurebase-mapper"
