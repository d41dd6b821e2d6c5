"""emotune: multi-label emotion classification with imbalance handling as configuration."""

from emotune.utils.quiet import install as _quiet_third_party
from emotune.utils.resolvers import register as _register_resolvers

__version__ = "0.1.0"

_quiet_third_party()
_register_resolvers()
