"""explorer: a terminal stream explorer."""

__version__ = "0.1.0"
