"""papertide: a self-hosted service for keeping up with research papers."""

__version__ = "0.1.0"
