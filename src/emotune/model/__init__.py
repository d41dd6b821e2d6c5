from emotune.model.build import build_classifier
from emotune.model.module import EmotionClassifier
from emotune.model.network import EmbeddingClassifierNet
from emotune.model.text_net import TextClassifierNet

__all__ = ["EmbeddingClassifierNet", "EmotionClassifier", "TextClassifierNet", "build_classifier"]
