from emotune.data.build import build_datamodule
from emotune.data.checksums import DataFileError
from emotune.data.datamodule import EmotionDataModule
from emotune.data.goemotions import GoEmotions
from emotune.data.label_stats import LabelStats
from emotune.data.labeled_texts import LabeledTexts
from emotune.data.leaky_replay import LeakyReplayDataModule
from emotune.data.table import TableSource

__all__ = ["DataFileError", "EmotionDataModule", "GoEmotions", "LabelStats", "LabeledTexts", "LeakyReplayDataModule",
           "TableSource", "build_datamodule"]
