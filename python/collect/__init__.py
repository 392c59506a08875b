"""moralign: ask LLMs validated human value surveys and measure whom they answer like."""

__version__ = "0.1.0"
