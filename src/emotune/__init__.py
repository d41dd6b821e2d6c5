"""emotune: multi-label emotion classification with imbalance handling as configuration."""

from emotune.resolvers import register as _register_resolvers

__version__ = "0.1.0"

_register_resolvers()
