from emotune.data.checksums import DataFileError
from emotune.data.datamodule import EmotionDataModule
from emotune.data.goemotions import GoEmotions
from emotune.data.labeled_texts import LabeledTexts
from emotune.data.table import TableSource

__all__ = ["DataFileError", "EmotionDataModule", "GoEmotions", "LabeledTexts", "TableSource"]
