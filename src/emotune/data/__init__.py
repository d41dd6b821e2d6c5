from emotune.data.build import build_datamodule
from emotune.data.checksums import DataFileError
from emotune.data.datamodule import EmotionDataModule
from emotune.data.embedding_datamodule import EmbeddingDataModule
from emotune.data.goemotions import GoEmotions
from emotune.data.label_stats import LabelStats
from emotune.data.labeled_texts import LabeledTexts
from emotune.data.leaky_replay import LeakyReplayDataModule
from emotune.data.table import TableSource
from emotune.data.text_datamodule import TextDataModule

__all__ = ["DataFileError", "EmbeddingDataModule", "EmotionDataModule", "GoEmotions", "LabelStats", "LabeledTexts",
           "LeakyReplayDataModule", "TableSource", "TextDataModule", "build_datamodule"]
