"""Russian (and Kazakh) text tooling shared by the compiler and the engine."""

from config.text.analyse import Analysed, TextAnalyser
from config.text.normalise import normalise

__all__ = ["Analysed", "TextAnalyser", "normalise"]
