"""garble-detector: find English sentences garbled by machine translation or article spinners."""

from detector.api import ArticleResult, GarbleDetector, SentenceScore
from detector.segment import Sentence, split_sentences

__all__ = ["ArticleResult", "GarbleDetector", "Sentence", "SentenceScore", "split_sentences"]
