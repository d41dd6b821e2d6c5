from emotune.model.build import build_classifier
from emotune.model.module import EmotionClassifier
from emotune.model.network import EmbeddingClassifierNet

__all__ = ["EmbeddingClassifierNet", "EmotionClassifier", "build_classifier"]
